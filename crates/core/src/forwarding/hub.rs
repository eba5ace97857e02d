//! The delivery hub: one task per enabled forwarder, each reading the log from its durable
//! cursor (inside `spawn_blocking`), keeping up to `forward_in_flight` batches read ahead and
//! sending them one after the other, in log order, through the [`Deliver`] port, retrying with
//! backoff, and moving the cursor only over batches the target acknowledged (or that were
//! dead-lettered, in the same durable write).
//! A slow target holds only its own task.
//!
//! Every cursor write happens under the forwarder's generation lock and only when the writer's
//! generation is still current, so a task that was stopped (pause, change, replay, delete)
//! can never move a cursor after it.
//!
//! In cluster mode ([`Hub::clustered`]) the tasks run only while this node holds the forwarding
//! lease ([`Hub::run_lease`] keeps it and starts or stops them), each with the forwarder's
//! shared record ([`super::shared`]); a clean stop lets the batches in hand finish, then hands
//! the lease over.
use super::delivery::*;
use super::model::*;
use super::shared::{Cluster, SharedRecord};
use super::state::{Forwarders, Status};
use crate::error::Error;
use crate::ports::LogStore;
use crate::writer::WriterHandle;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
pub(super) use tokio::task::JoinHandle;
use uuid::Uuid;

/// Delivery settings (server settings `forward_*`).
#[derive(Debug, Clone, Copy)]
pub struct DeliverySettings {
    pub retry: RetryPolicy,
    /// Log entries one read looks at, at most.
    pub scan_entries: usize,
    /// Log entries the status's exact lag count looks at, at most.
    pub lag_count_max: usize,
    /// Batches one forwarder keeps in hand: the one being sent and those read ahead of it.
    pub in_flight: usize,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        DeliverySettings {
            retry: RetryPolicy::default(),
            scan_entries: 4096,
            lag_count_max: 100_000,
            in_flight: 4,
        }
    }
}

/// One forwarder's place in the hub.
pub(super) struct Slot {
    status: Arc<Status>,
    /// Bumped whenever the running task is replaced; cursor writes check it under the lock.
    generation: Arc<Mutex<u64>>,
    pub(super) task: Option<JoinHandle<()>>,
    /// The forwarder the task runs with.
    running: Option<Forwarder>,
}

#[derive(Clone)]
pub struct Hub {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) log: Arc<dyn LogStore>,
    pub(super) writer: WriterHandle,
    pub(super) deliver: Arc<dyn Deliver>,
    pub(super) matcher: Matcher,
    pub(super) settings: DeliverySettings,
    pub(super) forwarders: Arc<Forwarders>,
    pub(super) slots: tokio::sync::Mutex<HashMap<Uuid, Slot>>,
    /// Cluster mode: the forwarding lease and the shared records.
    pub(super) cluster: Option<Cluster>,
    /// Set by a clean stop in cluster mode: the tasks finish the batches in hand and end.
    pub(super) draining: tokio::sync::watch::Sender<bool>,
    /// Set once a clean stop has released the forwarding lease: its task ends.
    pub(super) stopped: tokio::sync::watch::Sender<bool>,
}

pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
}

pub(super) fn now_us() -> i64 {
    crate::time_fmt::now_us()
}

impl Hub {
    pub fn new(
        log: Arc<dyn LogStore>,
        writer: WriterHandle,
        forwarders: Arc<Forwarders>,
        deliver: Arc<dyn Deliver>,
        matcher: Matcher,
        settings: DeliverySettings,
    ) -> Self {
        Hub {
            inner: Arc::new(Inner {
                log,
                writer,
                deliver,
                matcher,
                settings,
                forwarders,
                slots: Default::default(),
                cluster: None,
                draining: tokio::sync::watch::channel(false).0,
                stopped: tokio::sync::watch::channel(false).0,
            }),
        }
    }

    /// Cluster mode: the forwarding lease's keeper (its holder also decides retention runs).
    pub fn lease(&self) -> Option<Arc<crate::projection_lease::keeper::Keeper>> {
        self.inner.cluster.as_ref().map(|c| c.keeper.clone())
    }

    /// Brings the running tasks in line with the committed forwarders: starts new and resumed
    /// ones, restarts changed ones, stops paused ones, and forgets deleted ones (their cursor
    /// and dead letters go too).
    pub async fn sync(&self) -> Result<(), Error> {
        let wanted: Vec<Forwarder> = self
            .inner
            .forwarders
            .read()
            .by_id
            .values()
            .cloned()
            .collect();
        let mut slots = self.inner.slots.lock().await;
        let gone: Vec<Uuid> = slots
            .keys()
            .filter(|id| !wanted.iter().any(|f| f.id == **id))
            .copied()
            .collect();
        for id in gone {
            if let Some(mut slot) = slots.remove(&id) {
                stop(&mut slot);
                let (log, generation) = (self.inner.log.clone(), slot.generation.clone());
                blocking(move || {
                    let _g = generation.lock().unwrap_or_else(|e| e.into_inner());
                    let mut rows = vec![(cursor_key(id), None), (health_key(id), None)];
                    for (k, _) in log.forwarding_rows(&dead_prefix(id))? {
                        rows.push((k, None));
                    }
                    Ok(log.forwarding_write(&rows)?)
                })
                .await?;
                if let Err(e) = self.forget_dead_letters(id).await {
                    tracing::warn!(forwarder = %id, error = %e, "cannot remove a deleted forwarder's dead letters");
                }
                metrics_forget(id);
            }
        }
        for f in wanted {
            if let std::collections::hash_map::Entry::Vacant(e) = slots.entry(f.id) {
                e.insert(self.load(&f).await?);
            }
            let slot = slots.get_mut(&f.id).expect("inserted above");
            if slot.running.as_ref() == Some(&f) {
                continue;
            }
            stop(slot);
            if f.enabled && self.leading() {
                self.start(slot, f);
            }
        }
        Ok(())
    }

    /// A new slot: the stored cursor, or (first time) the log position where the forwarder was
    /// created, written down; the health a previous run kept; and the number of stored dead
    /// letters.
    async fn load(&self, f: &Forwarder) -> Result<Slot, Error> {
        let (log, id, created) = (self.inner.log.clone(), f.id, f.created_us);
        let (cursor, health, dead) = blocking(move || {
            let cursor = match log.forwarding_rows(&cursor_key(id))?.first() {
                Some((_, v)) => {
                    crate::codec::decode::<Cursor>(v)
                        .map_err(Error::Internal)?
                        .seq
                }
                None => {
                    let seq = first_seq_at(&*log, created)?.saturating_sub(1);
                    let c = crate::codec::encode(&Cursor {
                        seq,
                        updated_us: now_us(),
                    });
                    log.forwarding_write(&[(cursor_key(id), Some(c))])?;
                    seq
                }
            };
            let health: Health = match log.forwarding_rows(&health_key(id))?.first() {
                Some((_, v)) => crate::codec::decode(v).map_err(Error::Internal)?,
                None => Health::default(),
            };
            let dead = log.forwarding_rows(&dead_prefix(id))?.len() as u64;
            Ok((cursor, health, dead))
        })
        .await?;
        let status = Arc::new(Status::default());
        status.update(|s| {
            s.cursor = cursor;
            s.dead_letters = dead;
            s.restore(health);
        });
        Ok(Slot {
            status,
            generation: Arc::default(),
            task: None,
            running: None,
        })
    }

    fn start(&self, slot: &mut Slot, f: Forwarder) {
        let generation = {
            let mut g = slot.generation.lock().unwrap_or_else(|e| e.into_inner());
            *g += 1;
            *g
        };
        let runner = super::runner::Runner {
            hub: self.inner.clone(),
            status: slot.status.clone(),
            lock: slot.generation.clone(),
            generation,
            forwarder: f.clone(),
            oldest_us: Mutex::new(None),
            shared: self
                .inner
                .cluster
                .as_ref()
                .map(|c| Arc::new(SharedRecord::new(c, f.id))),
        };
        slot.task = Some(tokio::spawn(runner.run()));
        slot.running = Some(f);
    }

    /// Stops every task (shutdown). Unacknowledged batches are sent again after a restart. In
    /// cluster mode they are first drained ([`Hub::drain`]).
    pub async fn stop_all(&self) {
        self.drain().await;
        for slot in self.inner.slots.lock().await.values_mut() {
            stop(slot);
        }
    }

    /// The forwarder's delivery status, lag included. In cluster mode, a node that does not run
    /// the forwarder answers from its shared record.
    pub async fn status(&self, f: &Forwarder) -> Result<StatusView, Error> {
        let (mut status, here) = {
            let slots = self.inner.slots.lock().await;
            slots
                .get(&f.id)
                .map(|s| (s.status.snapshot(), s.task.is_some()))
                .unwrap_or_default()
        };
        if let Some(c) = self.inner.cluster.as_ref() {
            if !here && let Some(rec) = c.read(f.id).await? {
                status.cursor = rec.cursor;
                status.dead_letters = rec.dead_letters;
                status.restore(rec.health);
            }
            // The cluster's dead letters, whichever node recorded them (when they cannot be
            // counted, the holder's last count).
            match c.dead().count(f.id).await {
                Ok(n) => {
                    status.dead_letters = n;
                    self.with_status(f.id, |s| s.dead_letters = n).await;
                }
                Err(e) => {
                    tracing::warn!(forwarder = %f.id, error = %e, "cannot count the dead letters")
                }
            }
        }
        let head = self.inner.writer.last_seq();
        let (log, matcher, f2) = (
            self.inner.log.clone(),
            self.inner.matcher.clone(),
            f.clone(),
        );
        let (max, cursor) = (self.inner.settings.lag_count_max, status.cursor);
        let (lag, capped, oldest) = blocking(move || {
            let filter = parse_filter(&f2);
            let mut count = 0u64;
            let mut oldest = None;
            let mut at = cursor;
            let mut seen = 0usize;
            while at < head && seen < max {
                let reader = Reader {
                    store: f2.store,
                    filter: filter.as_ref(),
                    matcher: &matcher,
                    batch: usize::MAX,
                    entries: (max - seen).min(4096),
                    now_us: now_us(),
                };
                let s = reader.scan(&*log, at)?;
                if s.upto == at {
                    break;
                }
                seen += (s.upto - at) as usize;
                at = s.upto;
                if oldest.is_none() {
                    oldest = s.statements.first().map(|(_, r)| r.stored_us);
                }
                count += s.statements.len() as u64;
            }
            Ok((count, at < head, oldest))
        })
        .await?;
        let lag_seconds = oldest.map_or(0.0, |o| ((now_us() - o).max(0) as f64) / 1e6);
        Ok(StatusView {
            status,
            head,
            lag_statements: lag,
            lag_capped: capped,
            lag_seconds,
        })
    }

    /// Moves the cursor back (or forward) so that forwarding goes on from log position `from`
    /// (the statement at `from` is sent again), and restarts the forwarder's task.
    pub async fn replay(&self, f: &Forwarder, from: u64) -> Result<u64, Error> {
        let mut slots = self.inner.slots.lock().await;
        let slot = slots.get_mut(&f.id).ok_or(Error::NotFound)?;
        stop(slot);
        let (log, generation) = (self.inner.log.clone(), slot.generation.clone());
        let seq = from.saturating_sub(1);
        let id = f.id;
        if let Some(c) = &self.inner.cluster {
            c.set_cursor(id, seq).await?;
        }
        blocking(move || {
            let mut g = generation.lock().unwrap_or_else(|e| e.into_inner());
            *g += 1;
            let c = crate::codec::encode(&Cursor {
                seq,
                updated_us: now_us(),
            });
            Ok(log.forwarding_write(&[(cursor_key(id), Some(c))])?)
        })
        .await?;
        slot.status.update(|s| s.cursor = seq);
        let current = self.inner.forwarders.read().by_id.get(&f.id).cloned();
        if let Some(cur) = current.filter(|c| c.enabled && self.leading()) {
            self.start(slot, cur);
        }
        Ok(seq)
    }

    /// The first log position at or after a time.
    pub async fn seq_at(&self, at_us: i64) -> Result<u64, Error> {
        let log = self.inner.log.clone();
        blocking(move || Ok(first_seq_at(&*log, at_us)?)).await
    }

    pub(super) async fn slot_status(&self, forwarder: Uuid) -> Option<Arc<Status>> {
        let slots = self.inner.slots.lock().await;
        slots.get(&forwarder).map(|s| s.status.clone())
    }

    pub(super) async fn with_status(
        &self,
        forwarder: Uuid,
        f: impl FnOnce(&mut super::state::StatusData),
    ) {
        if let Some(slot) = self.inner.slots.lock().await.get(&forwarder) {
            slot.status.update(f);
        }
    }
}

pub(super) fn stop(slot: &mut Slot) {
    if let Some(t) = slot.task.take() {
        t.abort();
    }
    slot.running = None;
    // Cursor writes of the stopped task still in flight are refused from now on.
    *slot.generation.lock().unwrap_or_else(|e| e.into_inner()) += 1;
}

pub(super) fn parse_filter(f: &Forwarder) -> Option<cairn_filter::Filter> {
    f.filter
        .as_deref()
        .and_then(|t| cairn_filter::Filter::parse_str(t).ok())
}

/// What the API shows of a forwarder's delivery.
#[derive(Debug, Clone, Default)]
pub struct StatusView {
    pub status: super::state::StatusData,
    /// The log's last position.
    pub head: u64,
    /// Statements waiting to be forwarded (counted up to `forward_lag_count_max` log entries).
    pub lag_statements: u64,
    /// The count stopped at `forward_lag_count_max`: there are more.
    pub lag_capped: bool,
    /// Age of the oldest statement waiting to be forwarded.
    pub lag_seconds: f64,
}

fn metrics_forget(id: Uuid) {
    let l = [("forwarder", id.to_string())];
    metrics::gauge!("cairn_forward_lag_log_entries", &l).set(0.0);
    metrics::gauge!("cairn_forward_lag_seconds", &l).set(0.0);
    metrics::gauge!("cairn_forward_consecutive_failures", &l).set(0.0);
    metrics::gauge!("cairn_forward_dead_letters", &l).set(0.0);
}
