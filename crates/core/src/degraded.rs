//! Degraded mode: the xAPI keeps serving while ClickHouse cannot be reached. Writes go on (into
//! the log and the in-memory tail, up to the ingest back-pressure bound); filtered statement
//! reads that would ask ClickHouse read the log instead ([`scan_log`]), a bounded amount of it;
//! analytics answer 503. [`ProjectionStatus`] is what the projector and the readers know about
//! ClickHouse: down from the first refused request until the projector has reached it again
//! (and re-run the migrations).
use crate::error::Error;
use crate::event::{Event, StatementRecord};
use crate::ports::LogStore;
use crate::query::{Page, StatementQuery};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether the projection (ClickHouse) is believed reachable. Shared by the projector, which
/// probes it while it is down, and the statement reads, which skip it meanwhile.
#[derive(Debug)]
pub struct ProjectionStatus {
    up: AtomicBool,
    /// Signalled when it goes down (a permit is kept when nobody waits).
    went_down: tokio::sync::Notify,
}

impl Default for ProjectionStatus {
    fn default() -> Self {
        ProjectionStatus {
            up: AtomicBool::new(true),
            went_down: tokio::sync::Notify::new(),
        }
    }
}

impl ProjectionStatus {
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Acquire)
    }

    /// Marks it unreachable; `true` when it was believed up until now.
    pub fn set_down(&self) -> bool {
        let was_up = self.up.swap(false, Ordering::AcqRel);
        if was_up {
            self.went_down.notify_one();
        }
        was_up
    }

    /// Resolves after it went down (at once when it went down since the last call).
    pub async fn went_down(&self) {
        self.went_down.notified().await
    }

    /// Marks it reachable; `true` when it was believed down until now.
    pub fn set_up(&self) -> bool {
        !self.up.swap(true, Ordering::AcqRel)
    }
}

/// Log entries read per call while scanning.
const SCAN_CHUNK: usize = 1024;

/// Statements of the log matching `q` inside `page`, in the query's order, at most `page.limit`
/// (voided statements are not removed here). Reads at most `budget` log entries, counting down;
/// a query that needs more is refused with 503 naming `degraded_read_scan_max` (`max`).
/// Blocking: call it from `spawn_blocking`.
pub fn scan_log(
    log: &dyn LogStore,
    q: &StatementQuery,
    page: &Page,
    budget: &mut usize,
    max: usize,
) -> Result<Vec<(u64, Arc<StatementRecord>)>, Error> {
    let mut out = Vec::new();
    if page.limit == 0 {
        return Ok(out);
    }
    // The next position, exclusive, in the query's direction.
    let mut cursor = match (q.ascending, page.after) {
        (true, a) => a.unwrap_or(0),
        (false, Some(a)) => a.min(page.max_seq.saturating_add(1)),
        (false, None) => page.max_seq.saturating_add(1),
    };
    loop {
        let chunk = if q.ascending {
            log.events_after(cursor, SCAN_CHUNK)?
        } else {
            log.events_before(cursor, SCAN_CHUNK)?
        };
        let Some((last, _)) = chunk.last() else {
            return Ok(out);
        };
        cursor = *last;
        let full = chunk.len() == SCAN_CHUNK;
        for (seq, event) in chunk {
            if seq > page.max_seq {
                return Ok(out);
            }
            if *budget == 0 {
                return Err(too_long(max));
            }
            *budget -= 1;
            if let Event::Statement(r) = event
                && q.matches(&r)
            {
                out.push((seq, r));
                if out.len() == page.limit {
                    return Ok(out);
                }
            }
        }
        if !full {
            return Ok(out);
        }
    }
}

fn too_long(max: usize) -> Error {
    Error::Unavailable(format!(
        "ClickHouse cannot be reached, so filtered statement reads are answered from the log, \
         and this one would read more than degraded_read_scan_max ({max}) log entries; \
         narrow it (since, until, a smaller limit) or retry once ClickHouse is back"
    ))
}
