//! Delivery, the pure parts and the port: what a batch is, how a target's answer is classified
//! (acknowledged, worth retrying, or refused for good), how long to wait before the next try,
//! and the scan of the log that picks a forwarder's next batch. The HTTP adapter implements
//! [`Deliver`]; [`super::hub`] runs one task per forwarder on top of it.
use super::model::Forwarder;
use crate::event::{Event, StatementRecord};
use crate::ids::StoreId;
use crate::ports::{LogStore, StoreError};
use crate::purge::{PurgeEvent, PurgePhase, PurgeReason};
use std::sync::Arc;
use std::time::Duration;

/// Statements to send, in log order, or an erasure notice, with the key that identifies this
/// batch at the target (the same statements always get the same key, so a retry can be
/// recognised).
#[derive(Debug, Clone)]
pub struct Batch {
    pub key: String,
    pub statements: Vec<(u64, Arc<StatementRecord>)>,
    /// An erasure notice (its log position and the erasure) instead of statements.
    pub erasure: Option<(u64, Arc<PurgeEvent>)>,
}

impl Batch {
    pub fn new(forwarder: &Forwarder, statements: Vec<(u64, Arc<StatementRecord>)>) -> Self {
        let first = statements.first().map_or(0, |s| s.0);
        let last = statements.last().map_or(0, |s| s.0);
        Batch {
            key: format!("{}-{first}-{last}", forwarder.id.simple()),
            statements,
            erasure: None,
        }
    }

    /// The notice of an erasure: its key names the erasure, so a replay sends the same key.
    pub fn erasure(forwarder: &Forwarder, seq: u64, erasure: Arc<PurgeEvent>) -> Self {
        Batch {
            key: format!("{}-erasure-{}", forwarder.id.simple(), erasure.id.simple()),
            statements: Vec::new(),
            erasure: Some((seq, erasure)),
        }
    }

    /// A batch of what the log holds at `seqs`: the statements, or the erasure notice of a
    /// dead letter that was one.
    pub fn of_events(forwarder: &Forwarder, events: Vec<(u64, Event)>) -> Self {
        let mut statements = Vec::with_capacity(events.len());
        for (seq, e) in events {
            if let Some(p) = erasure_notice(&e, forwarder.store) {
                return Batch::erasure(forwarder, seq, p);
            }
            if let Event::Statement(r) = e {
                statements.push((seq, r));
            }
        }
        Batch::new(forwarder, statements)
    }

    pub fn seqs(&self) -> Vec<u64> {
        let notice = self.erasure.iter().map(|e| e.0);
        self.statements.iter().map(|s| s.0).chain(notice).collect()
    }
}

/// The erasure a forwarder of `store` is told about, when `event` finished one in that store
/// (the statements are gone by then; a store's deletion or a batch delete is not an erasure).
pub fn erasure_notice(event: &Event, store: StoreId) -> Option<Arc<PurgeEvent>> {
    match event {
        Event::Purge(p)
            if p.phase == PurgePhase::Finished
                && p.reason == PurgeReason::Erasure
                && p.scope.stores().contains(&store) =>
        {
            Some(p.clone())
        }
        _ => None,
    }
}

/// What the target answered (any status), or why there was no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Status {
        status: u16,
        /// The start of the body (at most `forward_error_body_max_bytes`).
        body: String,
        /// `Retry-After`, in seconds, when the target sent one.
        retry_after: Option<u64>,
    },
    /// Connecting, sending or reading failed, or a timeout struck.
    Transport(String),
    /// Nothing was sent: the target cannot take this batch at all (an erasure notice to an
    /// xAPI target, since the xAPI has no erasure). Why, for the dead letter.
    Unsendable(String),
}

/// Sends a batch to a forwarder's target. Implemented by the HTTP adapter.
#[async_trait::async_trait]
pub trait Deliver: Send + Sync + 'static {
    async fn deliver(&self, forwarder: &Forwarder, batch: &Batch) -> Answer;
}

/// Whether a statement meets a filter of the filter language (the server builds the same row
/// the projection holds, so forwarding and queries agree). `now_us` resolves relative times.
pub type Matcher = Arc<dyn Fn(&StatementRecord, &cairn_filter::Filter, i64) -> bool + Send + Sync>;

/// An answer, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Acked,
    /// Worth another try (5xx, 408, 425, 429, no answer); wait at least `retry_after`.
    Retry {
        status: Option<u16>,
        error: String,
        retry_after: Option<Duration>,
    },
    /// A 4xx that retrying cannot fix, or a batch the target cannot take (no `status`):
    /// straight to the dead letters.
    Refused {
        status: Option<u16>,
        error: String,
    },
}

pub fn classify(a: Answer) -> Outcome {
    match a {
        Answer::Status { status, .. } if (200..300).contains(&status) => Outcome::Acked,
        Answer::Status {
            status,
            body,
            retry_after,
        } if (400..500).contains(&status) && !matches!(status, 408 | 425 | 429) => {
            let _ = retry_after;
            Outcome::Refused {
                status: Some(status),
                error: body,
            }
        }
        Answer::Status {
            status,
            body,
            retry_after,
        } => Outcome::Retry {
            status: Some(status),
            error: body,
            retry_after: retry_after.map(Duration::from_secs),
        },
        Answer::Transport(e) => Outcome::Retry {
            status: None,
            error: e,
            retry_after: None,
        },
        Answer::Unsendable(why) => Outcome::Refused {
            status: None,
            error: why,
        },
    }
}

/// Retry settings (server settings `forward_retry_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries of one batch before it is dead-lettered.
    pub max_attempts: u32,
    /// How long a batch may keep failing before it is dead-lettered.
    pub max_age: Duration,
    /// The wait after the first failure; it doubles with each failure, up to `max_backoff`.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 12,
            max_age: Duration::from_secs(3600),
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait after failure number `attempt` (1 for the first): exponential, capped, with
    /// "equal jitter" (`jitter` in `[0, 1)` picks a point in the upper half of the step), and at
    /// least the target's `Retry-After` (itself capped at `max_backoff`).
    pub fn backoff(&self, attempt: u32, jitter: f64, retry_after: Option<Duration>) -> Duration {
        let exp = self
            .initial_backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
        let step = exp.min(self.max_backoff);
        let wait = step.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0));
        match retry_after {
            Some(r) => wait.max(r.min(self.max_backoff)),
            None => wait,
        }
    }

    /// Whether a batch that failed `attempts` times over `age` goes to the dead letters.
    pub fn exhausted(&self, attempts: u32, age: Duration) -> bool {
        attempts >= self.max_attempts || age >= self.max_age
    }
}

/// The next batch after `cursor`: statements of `store` that meet `filter`, at most `batch`
/// of them, from at most `scan` log entries. `upto` is how far the scan got: every entry in
/// `(cursor, upto]` not in `statements` does not need forwarding. A scan that meets an erasure
/// of the store stops before it, or, when it found no statement yet, answers that erasure alone
/// (so statements and notices reach the target in log order).
pub struct Scan {
    pub statements: Vec<(u64, Arc<StatementRecord>)>,
    pub erasure: Option<(u64, Arc<PurgeEvent>)>,
    pub upto: u64,
}

/// Log entries one read of a scan asks for, at least (fewer only near `entries`).
const SCAN_CHUNK_MIN: usize = 256;

/// What a forwarder reads: statements of `store` meeting `filter` (relative times resolved
/// at `now_us`), `batch` of them at most, from at most `entries` log entries per read.
pub struct Reader<'a> {
    pub store: StoreId,
    pub filter: Option<&'a cairn_filter::Filter>,
    pub matcher: &'a Matcher,
    pub batch: usize,
    pub entries: usize,
    pub now_us: i64,
}

impl Reader<'_> {
    /// Reads the log after `cursor` (blocking: call it inside `spawn_blocking`), in chunks of
    /// about a batch, so that a full batch never costs `entries` decoded log entries.
    pub fn scan(&self, log: &dyn LogStore, cursor: u64) -> Result<Scan, StoreError> {
        self.scan_until(log, cursor, u64::MAX)
    }

    /// [`Self::scan`], stopping at log position `until` (included).
    pub fn scan_until(
        &self,
        log: &dyn LogStore,
        cursor: u64,
        until: u64,
    ) -> Result<Scan, StoreError> {
        let mut out = Vec::new();
        let mut erasure = None;
        let mut upto = cursor;
        let mut left = self.entries;
        'read: while left > 0 && out.len() < self.batch {
            let chunk = self.batch.max(SCAN_CHUNK_MIN).min(left);
            let events = log.events_after(upto, chunk)?;
            let n = events.len();
            for (seq, e) in events {
                if seq > until {
                    break 'read;
                }
                if let Some(p) = erasure_notice(&e, self.store) {
                    if out.is_empty() {
                        erasure = Some((seq, p));
                        upto = seq;
                    }
                    break 'read;
                }
                if let Event::Statement(r) = e
                    && r.store == self.store
                    && self
                        .filter
                        .is_none_or(|f| (self.matcher)(&r, f, self.now_us))
                {
                    out.push((seq, r));
                }
                upto = seq;
                left -= 1;
                if out.len() >= self.batch {
                    break;
                }
            }
            if n < chunk {
                break;
            }
        }
        Ok(Scan {
            statements: out,
            erasure,
            upto,
        })
    }
}

/// The first log position whose event happened at or after `at_us` (one past the end when
/// none did): a binary search, since event times grow with the log.
pub fn first_seq_at(log: &dyn LogStore, at_us: i64) -> Result<u64, StoreError> {
    let (mut lo, mut hi) = (1, log.last_seq()? + 1);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let before = log.event(mid)?.is_none_or(|e| e.at_us() < at_us);
        if before {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    Ok(lo)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16, retry_after: Option<u64>) -> Answer {
        Answer::Status {
            status,
            body: "b".into(),
            retry_after,
        }
    }

    #[test]
    fn answers_are_classified() {
        assert_eq!(classify(status(200, None)), Outcome::Acked);
        assert_eq!(classify(status(204, None)), Outcome::Acked);
        for s in [400, 401, 403, 404, 409, 413, 422] {
            assert!(
                matches!(classify(status(s, None)), Outcome::Refused { status, .. } if status == Some(s))
            );
        }
        for s in [408, 425, 500, 502, 503] {
            assert!(
                matches!(classify(status(s, None)), Outcome::Retry { .. }),
                "{s}"
            );
        }
        assert_eq!(
            classify(status(429, Some(7))),
            Outcome::Retry {
                status: Some(429),
                error: "b".into(),
                retry_after: Some(Duration::from_secs(7))
            }
        );
        assert!(matches!(
            classify(Answer::Transport("reset".into())),
            Outcome::Retry { status: None, .. }
        ));
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let p = RetryPolicy {
            max_attempts: 5,
            max_age: Duration::from_secs(10),
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
        };
        assert_eq!(p.backoff(1, 1.0, None), Duration::from_millis(100));
        assert_eq!(p.backoff(1, 0.0, None), Duration::from_millis(50));
        assert_eq!(p.backoff(3, 1.0, None), Duration::from_millis(400));
        assert_eq!(p.backoff(30, 1.0, None), Duration::from_secs(1));
        let ra = Some(Duration::from_millis(700));
        assert_eq!(p.backoff(1, 0.0, ra), Duration::from_millis(700));
        assert_eq!(
            p.backoff(1, 0.0, Some(Duration::from_secs(99))),
            Duration::from_secs(1)
        );
        assert!(!p.exhausted(4, Duration::from_secs(1)));
        assert!(p.exhausted(5, Duration::from_secs(1)));
        assert!(p.exhausted(1, Duration::from_secs(10)));
    }
}
