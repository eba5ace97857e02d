//! One forwarder's task: reads the log after its cursor (off the async workers), sends each
//! batch until the target acknowledges it or it becomes a dead letter, then moves the cursor
//! (one durable write, refused when the task was replaced), and waits for new commits when
//! caught up. It reports its status and metrics as it goes.
use super::delivery::*;
use super::hub::{Inner, blocking, now_us, parse_filter};
use super::model::*;
use super::state::{LastError, Status, StatusData};
use crate::error::Error;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::watch;
use uuid::Uuid;

/// One forwarder's task.
pub(super) struct Runner {
    pub(super) hub: Arc<Inner>,
    pub(super) status: Arc<Status>,
    pub(super) lock: Arc<Mutex<u64>>,
    pub(super) generation: u64,
    pub(super) forwarder: Forwarder,
}

/// A read of the log under way, from a cursor.
struct Ahead {
    from: u64,
    task: tokio::task::JoinHandle<Result<Scan, Error>>,
}

/// How sending a batch ended.
enum Sent {
    /// The target acknowledged it, at this time.
    Acked(i64),
    /// Refused for good, or out of tries: this dead letter is to be recorded.
    Dead(DeadLetter),
}

enum Step {
    /// The cursor moved (or nothing was there to move it).
    Went,
    /// Caught up with the log.
    Idle,
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

    pub(super) async fn run(self) {
        let filter = parse_filter(&self.forwarder);
        let mut commits = self.hub.writer.subscribe();
        let mut read_failures = 0u32;
        let mut ahead = None;
        loop {
            let step = self.step(filter.as_ref(), &mut ahead).await;
            match step {
                Ok(Step::Went) => read_failures = 0,
                Ok(Step::Idle) => {
                    read_failures = 0;
                    self.publish(Some(None));
                    let cursor = self.status.snapshot().cursor;
                    if wait_past(&mut commits, cursor).await.is_err() {
                        return;
                    }
                }
                Ok(Step::Stale) => return,
                Err(e) => {
                    read_failures += 1;
                    tracing::warn!(forwarder = %self.forwarder.id, error = %e, "forwarding cannot read or write its records");
                    self.status.update(|s| {
                        s.last_error = Some(LastError {
                            at_us: now_us(),
                            status: None,
                            message: e.to_string(),
                        });
                    });
                    let wait = self
                        .hub
                        .settings
                        .retry
                        .backoff(read_failures, rand::random(), None);
                    tokio::time::sleep(wait).await;
                }
            }
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

    /// One batch: read (or take the batch read ahead), send, move the cursor. The batch after
    /// it is read while this one is in flight.
    async fn step(
        &self,
        filter: Option<&cairn_filter::Filter>,
        ahead: &mut Option<Ahead>,
    ) -> Result<Step, Error> {
        let cursor = self.status.snapshot().cursor;
        let read = match ahead.take() {
            Some(a) if a.from == cursor => a,
            Some(a) => {
                a.task.abort();
                self.scan_from(filter, cursor)
            }
            None => self.scan_from(filter, cursor),
        };
        let found = read
            .task
            .await
            .map_err(|e| Error::Internal(e.to_string()))??;
        if found.upto == cursor {
            return Ok(Step::Idle);
        }
        *ahead = Some(self.scan_from(filter, found.upto));
        if found.statements.is_empty() {
            return self.advance(found.upto, None).await;
        }
        let batch = Batch::new(&self.forwarder, found.statements);
        let sent = self.send(&batch).await;
        let n = batch.statements.len() as u64;
        self.advance(found.upto, Some((sent, n))).await
    }

    /// Sends until acknowledged, or until the batch is refused or out of tries: then answers
    /// the dead letter to record. Each failed try is recorded durably (the status's health).
    async fn send(&self, batch: &Batch) -> Sent {
        let policy = self.hub.settings.retry;
        let first = Instant::now();
        let since = batch.statements.first().map(|(_, r)| r.stored_us);
        let mut attempt = 0u32;
        let (started_us, counter) = (now_us(), self.labels());
        loop {
            attempt += 1;
            self.publish(Some(since));
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
                Outcome::Refused { status, error } => (Some(status), error, None, true),
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
            if refused || policy.exhausted(attempt, first.elapsed()) {
                let dl = self.dead_letter(batch, attempt, (status, error), started_us);
                return Sent::Dead(dl);
            }
            self.publish(Some(since));
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
            status.change_durably(&*log, id, rows, f)?;
            drop(g);
            Ok(true)
        })
        .await
    }

    /// Moves the cursor to `upto` and records how the batch went (`sent`, with its number of
    /// statements): the cursor, a dead letter and the health in one durable write.
    async fn advance(&self, upto: u64, sent: Option<(Sent, u64)>) -> Result<Step, Error> {
        let c = crate::codec::encode(&Cursor {
            seq: upto,
            updated_us: now_us(),
        });
        let mut rows = vec![(cursor_key(self.forwarder.id), Some(c))];
        let (mut acked, mut dead, mut n) = (None, false, 0);
        match sent {
            Some((Sent::Acked(at), count)) => (acked, n) = (Some(at), count),
            Some((Sent::Dead(d), _)) => {
                rows.push((
                    dead_key(self.forwarder.id, d.id),
                    Some(crate::codec::encode(&d)),
                ));
                dead = true;
            }
            None => {}
        }
        let written = self
            .durably(rows, move |s| {
                s.cursor = upto;
                if dead {
                    s.dead_letters += 1;
                }
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
