//! One forwarder's task: reads the log after its cursor (off the async workers), keeps up to
//! `forward_in_flight` batches in hand, and sends them one after the other in log order: a
//! batch's send starts only once the batch before it was acknowledged or dead-lettered (its
//! turn), while the batches after it are already read and waiting. It moves the cursor over the
//! finished batches (one write, refused when the task was replaced), waits for new commits when
//! caught up, and reports its status and metrics as it goes. In cluster mode it also keeps the
//! forwarder's shared record ([`super::shared`]): each batch's range is recorded before it is
//! sent, the cursor after it finished, and the batches a previous holder recorded are sent
//! again first, from the same ranges.
use super::delivery::*;
use super::hub::{Inner, blocking, now_us, parse_filter};
use super::model::*;
use super::shared::SharedRecord;
use super::state::{LastError, Status, StatusData};
use crate::error::Error;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::{oneshot, watch};
use uuid::Uuid;

/// One forwarder's task.
pub(super) struct Runner {
    pub(super) hub: Arc<Inner>,
    pub(super) status: Arc<Status>,
    pub(super) lock: Arc<Mutex<u64>>,
    pub(super) generation: u64,
    pub(super) forwarder: Forwarder,
    /// When the oldest statement in flight was stored (`None`: nothing in flight).
    pub(super) oldest_us: Mutex<Option<i64>>,
    /// Cluster mode: the forwarder's shared record.
    pub(super) shared: Option<Arc<SharedRecord>>,
}

/// A read of the log under way, from a cursor.
pub(super) struct Ahead {
    pub(super) from: u64,
    pub(super) task: tokio::task::JoinHandle<Result<Scan, Error>>,
}

/// How sending a batch ended.
enum Sent {
    /// The target acknowledged it, at this time.
    Acked(i64),
    /// Refused for good, or out of tries: this dead letter is to be recorded.
    Dead(DeadLetter),
}

/// A batch read from the log, being sent (or with nothing to send).
struct InFlight {
    /// The log position its read got to: the cursor once it and every batch before it finished.
    upto: u64,
    /// Its statements, and when the first one was stored.
    count: u64,
    since: Option<i64>,
    /// The sending task (`None`: the read found nothing to send). Aborted when dropped.
    task: Option<tokio::task::JoinHandle<Sent>>,
    /// The task's output, once taken while waiting for something else too.
    out: Option<Result<Sent, tokio::task::JoinError>>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(t) = &self.task {
            t.abort();
        }
    }
}

impl InFlight {
    fn is_finished(&self) -> bool {
        self.out.is_some() || self.task.as_ref().is_none_or(|t| t.is_finished())
    }

    /// Waits for the batch to be acknowledged or dead-lettered.
    async fn finish(mut self) -> Result<Done, Error> {
        let out = match (self.out.take(), self.task.as_mut()) {
            (Some(out), _) => Some(out),
            (None, Some(t)) => Some(t.await),
            (None, None) => None,
        };
        let sent = match out {
            Some(r) => Some((r.map_err(|e| Error::Internal(e.to_string()))?, self.count)),
            None => None,
        };
        Ok(Done {
            upto: self.upto,
            sent,
        })
    }
}

/// A finished batch: how far it moves the cursor, and how it went (with its statement count).
struct Done {
    upto: u64,
    sent: Option<(Sent, u64)>,
}

enum Step {
    /// The cursor moved (or nothing was there to move it).
    Went,
    /// This task was replaced.
    Stale,
}

impl Runner {
    fn labels(&self) -> [(&'static str, String); 1] {
        [("forwarder", self.forwarder.id.to_string())]
    }

    /// Sets the gauges; `pending_since_us` (the oldest statement in hand, `Some(None)` when
    /// caught up) sets the lag in seconds, `None` leaves it as it is.
    fn publish(&self, pending_since_us: Option<Option<i64>>) {
        let s = self.status.snapshot();
        let head = self.hub.writer.last_seq();
        let l = self.labels();
        metrics::gauge!("cairn_forward_lag_log_entries", &l)
            .set(head.saturating_sub(s.cursor) as f64);
        if let Some(since) = pending_since_us {
            let lag = since.map_or(0.0, |p| (now_us() - p).max(0) as f64 / 1e6);
            metrics::gauge!("cairn_forward_lag_seconds", &l).set(lag);
        }
        metrics::gauge!("cairn_forward_consecutive_failures", &l)
            .set(s.consecutive_failures as f64);
        metrics::gauge!("cairn_forward_dead_letters", &l).set(s.dead_letters as f64);
        metrics::gauge!("cairn_forward_cursor", &l).set(s.cursor as f64);
    }

    /// Publishes the gauges with the oldest statement in flight, and remembers it.
    fn publish_oldest(&self, flight: &VecDeque<InFlight>) {
        let oldest = flight.iter().find_map(|f| f.since);
        *self.oldest_us.lock().unwrap_or_else(|e| e.into_inner()) = oldest;
        self.publish(Some(oldest));
    }

    pub(super) async fn run(self) {
        let this = Arc::new(self);
        let filter = parse_filter(&this.forwarder);
        let mut commits = this.hub.writer.subscribe();
        let mut read_failures = 0u32;
        loop {
            // Ok: replaced, or the writer is gone. Batches in flight are dropped (aborted) on
            // an error and sent again from the cursor.
            let Err(e) = this
                .pipeline(filter.as_ref(), &mut commits, &mut read_failures)
                .await
            else {
                return;
            };
            read_failures += 1;
            tracing::warn!(forwarder = %this.forwarder.id, error = %e, "forwarding cannot read or write its records");
            this.status.update(|s| {
                s.last_error = Some(LastError {
                    at_us: now_us(),
                    status: None,
                    message: e.to_string(),
                });
            });
            let wait = this
                .hub
                .settings
                .retry
                .backoff(read_failures, rand::random(), None);
            tokio::time::sleep(wait).await;
        }
    }

    /// Reads the next batch after `cursor`, off the async workers.
    fn scan_from(&self, filter: Option<&cairn_filter::Filter>, cursor: u64) -> Ahead {
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
            Ok(reader.scan(&*log, cursor)?)
        });
        Ahead { from: cursor, task }
    }

    /// Starts a batch read from the log: its send waits for `turn` (the batch before it
    /// finished), and `turn` becomes this batch's own finish, so that batches reach the target
    /// in log order, one at a time. A batch with nothing to send passes the turn on.
    fn launch(self: &Arc<Self>, found: Scan, turn: &mut Option<oneshot::Receiver<()>>) -> InFlight {
        let (upto, count) = (found.upto, found.statements.len() as u64);
        let since = found.statements.first().map(|(_, r)| r.stored_us);
        let task = (!found.statements.is_empty() || found.erasure.is_some()).then(|| {
            let batch = match found.erasure {
                Some((seq, erasure)) => Batch::erasure(&self.forwarder, seq, erasure),
                None => Batch::new(&self.forwarder, found.statements),
            };
            let me = self.clone();
            let (done, next) = oneshot::channel();
            let before = turn.replace(next);
            tokio::spawn(async move {
                // The batch before was aborted (never finished): so is this one, unsent.
                if let Some(before) = before
                    && before.await.is_err()
                {
                    std::future::pending::<()>().await;
                }
                let sent = me.send(&batch).await;
                let _ = done.send(());
                sent
            })
        });
        InFlight {
            upto,
            count,
            since,
            task,
            out: None,
        }
    }

    /// Reads batches (the next one while the others are in hand), keeps up to
    /// `forward_in_flight` of them in hand (sent one after the other, in log order), and moves
    /// the cursor over the finished ones. Returns when the task was replaced or the writer is
    /// gone.
    async fn pipeline(
        self: &Arc<Self>,
        filter: Option<&cairn_filter::Filter>,
        commits: &mut watch::Receiver<u64>,
        read_failures: &mut u32,
    ) -> Result<(), Error> {
        let window = self.hub.settings.in_flight.max(1);
        // Cluster mode: the batches recorded before, to be sent again first.
        let mut replay = self.resume_shared().await?;
        let mut next = self.status.snapshot().cursor;
        let mut flight: VecDeque<InFlight> = VecDeque::new();
        let mut ahead: Option<Ahead> = None;
        // The finish of the last batch launched: the next one is sent after it.
        let mut turn: Option<oneshot::Receiver<()>> = None;
        let mut draining = self.hub.draining.subscribe();
        loop {
            let mut caught_up = false;
            // A clean stop (cluster mode): read nothing more, finish what is in hand.
            let stopping = *draining.borrow();
            if flight.len() < window && !stopping {
                let planned = replay.front().copied();
                let read = match (planned, ahead.take()) {
                    (Some(range), _) => match self.scan_range(filter, range, commits).await {
                        Some(read) => read,
                        None => return Ok(()),
                    },
                    (None, Some(a)) if a.from == next => a,
                    _ => self.scan_from(filter, next),
                };
                let found = read
                    .task
                    .await
                    .map_err(|e| Error::Internal(e.to_string()))??;
                *read_failures = 0;
                if planned.is_some() {
                    replay.pop_front();
                }
                if found.upto > next {
                    let sends = !found.statements.is_empty() || found.erasure.is_some();
                    if planned.is_none() && sends {
                        self.plan(next, found.upto).await?;
                    }
                    next = found.upto;
                    if replay.is_empty() {
                        ahead = Some(self.scan_from(filter, next));
                    }
                    flight.push_back(self.launch(found, &mut turn));
                    self.publish_oldest(&flight);
                    continue;
                }
                caught_up = true;
            }
            let Some(head) = flight.front_mut() else {
                self.publish_oldest(&flight);
                if stopping {
                    return Ok(());
                }
                tokio::select! {
                    r = wait_past(commits, next) => if r.is_err() {
                        return Ok(());
                    },
                    _ = draining.wait_for(|d| *d) => {}
                }
                continue;
            };
            if caught_up && !head.is_finished() {
                // Wait for the oldest batch, or for new statements to read meanwhile.
                let task = head.task.as_mut().expect("unfinished batches have a task");
                tokio::select! {
                    out = task => head.out = Some(out),
                    r = wait_past(commits, next) => {
                        if r.is_err() {
                            return Ok(());
                        }
                        continue;
                    }
                    _ = draining.wait_for(|d| *d) => continue,
                }
            }
            // The oldest batch, and every finished one right after it.
            let mut done = vec![flight.pop_front().expect("a head").finish().await?];
            while flight.front().is_some_and(InFlight::is_finished) {
                done.push(flight.pop_front().expect("a head").finish().await?);
            }
            if let Step::Stale = self.advance(done).await? {
                return Ok(());
            }
            self.publish_oldest(&flight);
        }
    }

    /// Sends until acknowledged, or until the batch is refused or out of tries: then answers
    /// the dead letter to record. Each failed try is recorded durably (the status's health).
    async fn send(&self, batch: &Batch) -> Sent {
        let policy = self.hub.settings.retry;
        let first = Instant::now();
        let mut attempt = 0u32;
        let (started_us, counter) = (now_us(), self.labels());
        loop {
            attempt += 1;
            self.publish_pending();
            // Cluster mode: a try starts only while this node holds the forwarding lease (the
            // hub stops this task once it has lost it).
            while self.shared.as_ref().is_some_and(|s| !s.keeper().holding()) {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            let outcome = classify(self.hub.deliver.deliver(&self.forwarder, batch).await);
            let (status, error, retry_after, refused) = match outcome {
                Outcome::Acked => {
                    metrics::counter!("cairn_forward_statements_total", &counter)
                        .increment(batch.statements.len() as u64);
                    return Sent::Acked(now_us());
                }
                Outcome::Retry {
                    status,
                    error,
                    retry_after,
                } => (status, error, retry_after, false),
                Outcome::Refused { status, error } => (status, error, None, true),
            };
            metrics::counter!("cairn_forward_failures_total", &counter).increment(1);
            tracing::warn!(forwarder = %self.forwarder.id, status = ?status, error = %error, attempt, "forwarding a batch failed");
            let last = LastError {
                at_us: now_us(),
                status,
                message: error.clone(),
            };
            let record = move |s: &mut StatusData| {
                s.consecutive_failures += 1;
                s.last_error = Some(last.clone());
            };
            match self.durably(vec![], record.clone()).await {
                Ok(true) => {}
                // Replaced: the next step's write is refused, and the new task sends it again.
                Ok(false) => {
                    let dl = self.dead_letter(batch, attempt, (status, error), started_us);
                    return Sent::Dead(dl);
                }
                Err(e) => {
                    tracing::warn!(forwarder = %self.forwarder.id, error = %e, "cannot record a forwarding failure");
                    self.status.update(record);
                }
            }
            if let Err(e) = self.share().await {
                tracing::warn!(forwarder = %self.forwarder.id, error = %e, "cannot share a forwarding failure");
            }
            if refused || policy.exhausted(attempt, first.elapsed()) {
                let dl = self.dead_letter(batch, attempt, (status, error), started_us);
                return Sent::Dead(dl);
            }
            self.publish_pending();
            tokio::time::sleep(policy.backoff(attempt, rand::random(), retry_after)).await;
        }
    }

    /// The dead letter of a batch given up on, first tried at `created_us`.
    fn dead_letter(
        &self,
        batch: &Batch,
        attempts: u32,
        (status, error): (Option<u16>, String),
        created_us: i64,
    ) -> DeadLetter {
        DeadLetter {
            id: Uuid::now_v7(),
            forwarder: self.forwarder.id,
            seqs: batch.seqs(),
            attempts,
            status,
            error,
            created_us,
            last_attempt_us: now_us(),
        }
    }

    /// Changes the status and writes its health with `rows`, in one durable write, unless this
    /// task was replaced (`false`).
    async fn durably(
        &self,
        rows: Vec<(Vec<u8>, Option<Vec<u8>>)>,
        f: impl Fn(&mut StatusData) + Send + 'static,
    ) -> Result<bool, Error> {
        self.write(rows, true, f).await
    }

    /// Like [`Self::durably`]; forced to disk only when `sync`.
    async fn write(
        &self,
        rows: Vec<(Vec<u8>, Option<Vec<u8>>)>,
        sync: bool,
        f: impl Fn(&mut StatusData) + Send + 'static,
    ) -> Result<bool, Error> {
        let (log, lock, generation, id, status) = (
            self.hub.log.clone(),
            self.lock.clone(),
            self.generation,
            self.forwarder.id,
            self.status.clone(),
        );
        blocking(move || {
            let g = lock.lock().unwrap_or_else(|e| e.into_inner());
            if *g != generation {
                return Ok(false);
            }
            status.change(&*log, id, rows, sync, f)?;
            drop(g);
            Ok(true)
        })
        .await
    }

    /// Publishes the gauges with the oldest statement in flight.
    fn publish_pending(&self) {
        let oldest = *self.oldest_us.lock().unwrap_or_else(|e| e.into_inner());
        self.publish(Some(oldest));
    }

    /// Moves the cursor past finished batches (in log order) and records how they went: the
    /// cursor, their dead letters and the health in one write. It is forced to disk only with a
    /// dead letter: a cursor lost in a crash only sends acknowledged batches again. In cluster
    /// mode the dead letters go to the cluster's bucket first, and only then the cursor moves.
    async fn advance(&self, done: Vec<Done>) -> Result<Step, Error> {
        let upto = done.last().map_or(0, |d| d.upto);
        let c = crate::codec::encode(&Cursor {
            seq: upto,
            updated_us: now_us(),
        });
        let mut rows = vec![(cursor_key(self.forwarder.id), Some(c))];
        let (mut acked, mut letters, mut n) = (None, Vec::new(), 0u64);
        for d in done {
            match d.sent {
                Some((Sent::Acked(at), count)) => {
                    acked = Some(at);
                    n += count;
                }
                Some((Sent::Dead(dl), _)) => letters.push(dl),
                None => {}
            }
        }
        let dead = letters.len() as u64;
        if !self.shelve(&letters, &mut rows).await? {
            return Ok(Step::Stale);
        }
        let sync = dead > 0;
        let written = self
            .write(rows, sync, move |s| {
                s.cursor = upto;
                s.dead_letters += dead;
                if let Some(at) = acked {
                    s.last_success_us = Some(at);
                    s.consecutive_failures = 0;
                    s.delivered += n;
                }
            })
            .await?;
        if !written {
            return Ok(Step::Stale);
        }
        self.share().await?;
        self.publish(None);
        Ok(Step::Went)
    }
}

/// Waits until the log goes past `cursor`; an error once the writer is gone.
async fn wait_past(commits: &mut watch::Receiver<u64>, cursor: u64) -> Result<(), ()> {
    commits
        .wait_for(|last| *last > cursor)
        .await
        .map(|_| ())
        .map_err(|_| ())
}
