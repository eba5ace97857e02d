//! One forwarder's task: reads the log after its cursor (off the async workers), sends each
//! batch until the target acknowledges it or it becomes a dead letter, then moves the cursor
//! (one durable write, refused when the task was replaced), and waits for new commits when
//! caught up. It reports its status and metrics as it goes.
use super::delivery::*;
use super::hub::{Inner, blocking, now_us, parse_filter};
use super::model::*;
use super::state::{LastError, Status};
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
        loop {
            let step = self.step(filter.as_ref()).await;
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

    async fn step(&self, filter: Option<&cairn_filter::Filter>) -> Result<Step, Error> {
        let cursor = self.status.snapshot().cursor;
        let (log, matcher, f) = (
            self.hub.log.clone(),
            self.hub.matcher.clone(),
            self.forwarder.clone(),
        );
        let filter = filter.cloned();
        let scan_entries = self.hub.settings.scan_entries;
        let found = blocking(move || {
            let reader = Reader {
                store: f.store,
                filter: filter.as_ref(),
                matcher: &matcher,
                batch: f.batch_size as usize,
                entries: scan_entries,
                now_us: now_us(),
            };
            Ok(reader.scan(&*log, cursor)?)
        })
        .await?;
        if found.upto == cursor {
            return Ok(Step::Idle);
        }
        if found.statements.is_empty() {
            return self.advance(found.upto, None).await;
        }
        let batch = Batch::new(&self.forwarder, found.statements);
        let dead = self.send(&batch).await;
        self.advance(found.upto, dead).await
    }

    /// Sends until acknowledged, or until the batch is refused or out of tries: then answers
    /// the dead letter to record.
    async fn send(&self, batch: &Batch) -> Option<DeadLetter> {
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
                    self.status.update(|s| {
                        s.last_success_us = Some(now_us());
                        s.consecutive_failures = 0;
                        s.delivered += batch.statements.len() as u64;
                    });
                    metrics::counter!("cairn_forward_statements_total", &counter)
                        .increment(batch.statements.len() as u64);
                    return None;
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
            self.status.update(|s| {
                s.consecutive_failures += 1;
                s.last_error = Some(LastError {
                    at_us: now_us(),
                    status,
                    message: error.clone(),
                });
            });
            if refused || policy.exhausted(attempt, first.elapsed()) {
                return Some(DeadLetter {
                    id: Uuid::now_v7(),
                    forwarder: self.forwarder.id,
                    seqs: batch.seqs(),
                    attempts: attempt,
                    status,
                    error,
                    created_us: started_us,
                    last_attempt_us: now_us(),
                });
            }
            self.publish(Some(since));
            tokio::time::sleep(policy.backoff(attempt, rand::random(), retry_after)).await;
        }
    }

    /// Moves the cursor to `upto`, recording a dead letter in the same durable write.
    async fn advance(&self, upto: u64, dead: Option<DeadLetter>) -> Result<Step, Error> {
        let (log, lock, generation, id) = (
            self.hub.log.clone(),
            self.lock.clone(),
            self.generation,
            self.forwarder.id,
        );
        let is_dead = dead.is_some();
        let written = blocking(move || {
            let g = lock.lock().unwrap_or_else(|e| e.into_inner());
            if *g != generation {
                return Ok(false);
            }
            let c = crate::codec::encode(&Cursor {
                seq: upto,
                updated_us: now_us(),
            });
            let mut rows = vec![(cursor_key(id), Some(c))];
            if let Some(d) = &dead {
                rows.push((dead_key(id, d.id), Some(crate::codec::encode(d))));
            }
            log.forwarding_write(&rows)?;
            drop(g);
            Ok(true)
        })
        .await?;
        if !written {
            return Ok(Step::Stale);
        }
        self.status.update(|s| {
            s.cursor = upto;
            if is_dead {
                s.dead_letters += 1;
            }
        });
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
