//! Cluster mode: forwarding from one node at a time. Only the node holding the *forwarding
//! lease* ([`crate::projection_lease::Kind::FORWARDING`], run by the same keeper as the
//! projection lease) runs the forwarders. Each forwarder's place in the log is kept in the
//! cluster's replicated key-value bucket ([`SharedCursor`], key [`key`]), so that a node taking
//! the lease over resumes where the previous holder stopped, and the stand-by nodes answer the
//! status API from it.
//!
//! Before a batch is first sent, the holder records its log range in the record's `planned`
//! list (a compare-and-set, only while it holds the lease); after each acknowledged (or
//! dead-lettered) batch it moves the record's cursor past it. A node taking over first sends
//! the planned batches again, read from exactly the same log range: the same statements, so the
//! same idempotency key ([`super::Batch::new`]: forwarder id and the first and last log
//! positions). Only batches in flight when a holder died can therefore reach a target twice,
//! and then with the key of their first try.
use super::delivery::Reader;
use super::hub::{Hub, JoinHandle, now_us, stop};
use super::model::{DeadLetter, Health};
use super::runner::{Ahead, Runner};
use super::shared_dead::SharedDeadLetters;
use crate::error::Error;
use crate::projection_lease::keeper::Keeper;
use crate::projection_lease::{BucketRecords, CasError, LeaseBucket, LeaseStore};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::Arc;
use tokio::sync::watch;
use uuid::Uuid;

/// A forwarder's shared record (format-versioned, [`crate::codec`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedCursor {
    /// Every statement at or below this log position was acknowledged or dead-lettered.
    pub cursor: u64,
    /// The log ranges `(after, upto]` of the batches read past the cursor and possibly sent,
    /// in log order: a new holder sends exactly these again first.
    pub planned: Vec<(u64, u64)>,
    /// The target's health, as the holder last recorded it.
    pub health: Health,
    /// Dead letters as the holder last counted them. The status shows the count of the
    /// bucket's dead-letter records ([`super::shared_dead`]) instead, this only when those
    /// cannot be read.
    pub dead_letters: u64,
    /// When the holder last wrote this record (its clock, µs since the epoch).
    pub updated_us: i64,
}

/// The forwarder's key in the bucket.
pub fn key(forwarder: Uuid) -> String {
    format!("forwarder.{}", forwarder.simple())
}

/// What a hub needs in cluster mode: the forwarding lease's keeper and the bucket holding the
/// forwarders' records, also listed by prefix (`records`, the same bucket) for the dead letters.
#[derive(Clone)]
pub struct Cluster {
    pub keeper: Arc<Keeper>,
    pub bucket: Arc<dyn LeaseBucket>,
    pub records: Arc<dyn BucketRecords>,
}

impl Cluster {
    /// The cluster's dead letters.
    pub fn dead(&self) -> SharedDeadLetters {
        SharedDeadLetters::new(self.bucket.clone(), self.records.clone())
    }

    /// The forwarder's record as last written (`None`: never written).
    pub async fn read(&self, forwarder: Uuid) -> Result<Option<SharedCursor>, Error> {
        read(&*self.bucket.record(&key(forwarder)))
            .await
            .map(|r| r.map(|(c, _)| c))
    }

    /// Sets the forwarder's cursor (a replay asked through the API), whoever holds the lease:
    /// the holder's next write then fails, and its task starts again from this cursor.
    pub async fn set_cursor(&self, forwarder: Uuid, seq: u64) -> Result<(), Error> {
        let store = self.bucket.record(&key(forwarder));
        for _ in 0..5 {
            let current = read(&*store).await?;
            let mut rec = current.as_ref().map(|(c, _)| c.clone()).unwrap_or_default();
            rec.cursor = seq;
            rec.planned.clear();
            rec.updated_us = crate::time_fmt::now_us();
            let bytes = crate::codec::encode(&rec);
            let written = match current {
                None => store.create(bytes).await,
                Some((_, revision)) => store.update(bytes, revision).await,
            };
            match written {
                Ok(_) => return Ok(()),
                Err(CasError::Conflict) => continue,
                Err(e) => return Err(Error::Unavailable(e.to_string())),
            }
        }
        Err(Error::Unavailable(
            "the forwarder's shared cursor keeps changing; try again".into(),
        ))
    }
}

async fn read(store: &dyn LeaseStore) -> Result<Option<(SharedCursor, u64)>, Error> {
    match store.read().await.map_err(Error::Unavailable)? {
        None => Ok(None),
        Some((bytes, revision)) => {
            let rec = crate::codec::decode(&bytes)
                .map_err(|e| Error::Internal(format!("forwarder's shared record: {e}")))?;
            Ok(Some((rec, revision)))
        }
    }
}

/// One running forwarder's record: the last version this node wrote or read, and its revision;
/// every change is a compare-and-set on that revision, made only while this node holds the
/// forwarding lease.
pub(super) struct SharedRecord {
    store: Arc<dyn LeaseStore>,
    keeper: Arc<Keeper>,
    last: tokio::sync::Mutex<Option<(SharedCursor, u64)>>,
}

impl SharedRecord {
    pub(super) fn new(cluster: &Cluster, forwarder: Uuid) -> Self {
        SharedRecord {
            store: cluster.bucket.record(&key(forwarder)),
            keeper: cluster.keeper.clone(),
            last: Default::default(),
        }
    }

    pub(super) fn keeper(&self) -> &Keeper {
        &self.keeper
    }

    /// Reads the record afresh (`None`: never written).
    pub(super) async fn load(&self) -> Result<Option<SharedCursor>, Error> {
        let mut last = self.last.lock().await;
        *last = read(&*self.store).await?;
        Ok(last.as_ref().map(|(c, _)| c.clone()))
    }

    /// Changes the record (starting from `base` when it was never written) by compare-and-set
    /// on the revision last seen. Fails when this node does not hold the lease, or when another
    /// write came first (another holder, or a replay).
    pub(super) async fn change(
        &self,
        base: impl FnOnce() -> SharedCursor,
        f: impl FnOnce(&mut SharedCursor),
    ) -> Result<(), Error> {
        let mut last = self.last.lock().await;
        self.keeper.window()?;
        let mut rec = match &*last {
            Some((c, _)) => c.clone(),
            None => base(),
        };
        f(&mut rec);
        rec.updated_us = crate::time_fmt::now_us();
        let bytes = crate::codec::encode(&rec);
        let written = match &*last {
            None => self.store.create(bytes).await,
            Some((_, revision)) => self.store.update(bytes, *revision).await,
        };
        match written {
            Ok(revision) => {
                *last = Some((rec, revision));
                Ok(())
            }
            Err(CasError::Conflict) => Err(Error::Unavailable(
                "the forwarder's shared record was changed by another node".into(),
            )),
            Err(e) => Err(Error::Unavailable(e.to_string())),
        }
    }
}

/// The hub's part in cluster mode.
impl Hub {
    /// Cluster mode: forwarders run only while `cluster`'s keeper holds the forwarding lease,
    /// from their shared records. Call before the hub is used.
    pub fn clustered(mut self, cluster: Cluster) -> Self {
        Arc::get_mut(&mut self.inner)
            .expect("clustered before the hub is shared")
            .cluster = Some(cluster);
        self
    }

    /// Whether this node runs the forwarders now (always with the embedded log).
    pub(super) fn leading(&self) -> bool {
        !*self.inner.draining.borrow()
            && self
                .inner
                .cluster
                .as_ref()
                .is_none_or(|c| c.keeper.holding())
    }

    /// Cluster mode: ticks the forwarding lease's keeper every `every` until a clean stop has
    /// released it;
    /// while this node holds the lease, keeps the tasks in line with the forwarders (changes
    /// made on other nodes included), and stops them all once it does not.
    pub fn run_lease(&self, every: std::time::Duration) -> Option<JoinHandle<()>> {
        let keeper = self.inner.cluster.as_ref()?.keeper.clone();
        let hub = self.clone();
        Some(tokio::spawn(async move {
            let mut stopped = hub.inner.stopped.subscribe();
            let draining = hub.inner.draining.subscribe();
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    biased;
                    _ = stopped.wait_for(|d| *d) => return,
                    _ = tick.tick() => {}
                }
                // Renewed during a clean stop's drain too, until released.
                keeper.tick().await;
                if hub.leading() {
                    if let Err(e) = hub.sync().await {
                        tracing::warn!(error = %e, "cannot start the forwarders");
                    }
                } else if !*draining.borrow() {
                    for slot in hub.inner.slots.lock().await.values_mut() {
                        stop(slot);
                    }
                }
            }
        }))
    }

    /// Cluster mode: lets the tasks finish the batches in hand (for as long as the lease lets
    /// this node send), then hands the lease back, so that another node takes over at once
    /// from where these batches left the shared records. Nothing with the embedded log.
    pub(super) async fn drain(&self) {
        let Some(c) = &self.inner.cluster else {
            return;
        };
        self.inner.draining.send_replace(true);
        let tasks: Vec<JoinHandle<()>> = {
            let mut slots = self.inner.slots.lock().await;
            slots.values_mut().filter_map(|s| s.task.take()).collect()
        };
        let deadline = tokio::time::Instant::now() + c.keeper.times().write_timeout();
        for mut t in tasks {
            if tokio::time::timeout_at(deadline, &mut t).await.is_err() {
                t.abort();
            }
        }
        c.keeper.release().await;
        self.inner.stopped.send_replace(true);
    }
}

/// The runner's part in cluster mode.
impl Runner {
    /// Reads the batch a holder recorded as `(after, upto]` again, once this node's log has
    /// it: the same log range, read with the same limits, gives the same statements.
    pub(super) async fn scan_range(
        &self,
        filter: Option<&cairn_filter::Filter>,
        (after, upto): (u64, u64),
        commits: &mut watch::Receiver<u64>,
    ) -> Option<Ahead> {
        let mut draining = self.hub.draining.subscribe();
        tokio::select! {
            r = commits.wait_for(|last| *last >= upto) => r.ok()?,
            _ = draining.wait_for(|d| *d) => return None,
        };
        let (log, matcher, f) = (
            self.hub.log.clone(),
            self.hub.matcher.clone(),
            self.forwarder.clone(),
        );
        let filter = filter.cloned();
        let scan_entries = self.hub.settings.scan_entries;
        let task = tokio::task::spawn_blocking(move || {
            let reader = Reader {
                store: f.store,
                filter: filter.as_ref(),
                matcher: &matcher,
                batch: f.batch_size as usize,
                entries: scan_entries,
                now_us: now_us(),
            };
            Ok(reader.scan_until(&*log, after, upto)?)
        });
        Some(Ahead { from: after, task })
    }

    /// The shared record's content when it was never written: this node's status.
    pub(super) fn base(&self) -> SharedCursor {
        let s = self.status.snapshot();
        SharedCursor {
            cursor: s.cursor,
            planned: Vec::new(),
            health: s.health(),
            dead_letters: s.dead_letters,
            updated_us: 0,
        }
    }

    /// Cluster mode: takes the shared record's cursor and health and the count of the
    /// cluster's dead letters, and answers the batches to send again first (recorded by the
    /// previous holder, or by this node before a failure).
    pub(super) async fn resume_shared(&self) -> Result<VecDeque<(u64, u64)>, Error> {
        let (Some(shared), Some(cluster)) = (&self.shared, &self.hub.cluster) else {
            return Ok(VecDeque::new());
        };
        let dead = cluster.dead().count(self.forwarder.id).await?;
        self.status.update(|s| s.dead_letters = dead);
        let Some(rec) = shared.load().await? else {
            return Ok(VecDeque::new());
        };
        self.status.update(|s| {
            s.cursor = rec.cursor;
            s.restore(rec.health.clone());
        });
        Ok(rec
            .planned
            .into_iter()
            .filter(|(_, upto)| *upto > rec.cursor)
            .collect())
    }

    /// Cluster mode: records that the batch `(after, upto]` is about to be sent.
    pub(super) async fn plan(&self, after: u64, upto: u64) -> Result<(), Error> {
        match &self.shared {
            Some(shared) => {
                shared
                    .change(|| self.base(), |r| r.planned.push((after, upto)))
                    .await
            }
            None => Ok(()),
        }
    }

    /// Where dead letters go: with the embedded log, `rows` of the cursor's write; in cluster
    /// mode, records of the cluster's bucket (only while this node holds the lease), before the
    /// cursor may pass their batches. `false`: this task was replaced, its batches ended unsent
    /// (not refused), and none is recorded.
    pub(super) async fn shelve(
        &self,
        dead: &[DeadLetter],
        rows: &mut Vec<(Vec<u8>, Option<Vec<u8>>)>,
    ) -> Result<bool, Error> {
        let (Some(shared), Some(cluster)) = (&self.shared, &self.hub.cluster) else {
            for dl in dead {
                let row = Some(crate::codec::encode(dl));
                rows.push((super::model::dead_key(dl.forwarder, dl.id), row));
            }
            return Ok(true);
        };
        if *self.lock.lock().unwrap_or_else(|e| e.into_inner()) != self.generation {
            return Ok(false);
        }
        let store = cluster.dead();
        for dl in dead {
            shared.keeper().window()?;
            store.record(dl).await?;
        }
        Ok(true)
    }

    /// Cluster mode: writes this node's status (cursor, health, dead letters) into the shared
    /// record, dropping the planned batches the cursor has passed.
    pub(super) async fn share(&self) -> Result<(), Error> {
        let Some(shared) = &self.shared else {
            return Ok(());
        };
        let s = self.status.snapshot();
        shared
            .change(
                || self.base(),
                |r| {
                    r.cursor = s.cursor;
                    r.planned.retain(|(_, upto)| *upto > s.cursor);
                    r.health = s.health();
                    r.dead_letters = s.dead_letters;
                },
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forwarding::LastError;

    /// The record's bytes are frozen: a change to [`SharedCursor`] that breaks this needs a new
    /// format version (records written by older nodes stay in the bucket).
    #[test]
    fn shared_cursors_keep_their_format() {
        let rec = SharedCursor {
            cursor: 300,
            planned: vec![(300, 310), (310, 400)],
            health: Health {
                last_success_us: Some(1_700_000_000_000_000),
                last_error: Some(LastError {
                    at_us: 1_700_000_001_000_000,
                    status: Some(503),
                    message: "down".into(),
                }),
                consecutive_failures: 2,
            },
            dead_letters: 1,
            updated_us: 1_700_000_002_000_000,
        };
        let bytes = crate::codec::encode(&rec);
        let frozen = "c1ac0202ac02b602b6029003018080f28183898506018089ec828389850601f70304646f776e02018092e68383898506";
        assert_eq!(hex::encode(&bytes), frozen);
        assert_eq!(
            crate::codec::decode::<SharedCursor>(&hex::decode(frozen).unwrap()).unwrap(),
            rec
        );
        assert_eq!(
            crate::codec::decode::<SharedCursor>(&crate::codec::encode(&SharedCursor::default()))
                .unwrap(),
            SharedCursor::default()
        );
    }
}
