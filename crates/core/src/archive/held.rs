//! Which months the retention job has to archive, without reading the whole log on every run.
//!
//! The writer commits the log in time order (see [`crate::timeline`]), so the statements stored
//! before a month's end are the log's first positions, up to the last one committed before
//! that instant; [`last_before`] finds it by bisection. Removed statements leave holes in the
//! positions, which the bisection steps over by reading the next entry that is there. Restored
//! archive months break the order (old `stored` times at new positions): their ranges are
//! known ([`Restored`]) and read as well. So a run reads the statements that are due, the
//! restored ranges, and about thirty entries for the bisection, rather than the whole log:
//! once the old months are archived, that is almost nothing.
//!
//! The bound only decides where to look. Should a statement ever sit past it (a commit time
//! out of order), its month is found by a later run, whose bound lies a month further; and
//! archiving a month ([`super::plan`]) reads the whole log for that month's statements.
use super::Month;
use crate::error::Error;
use crate::event::Event;
use crate::ids::StoreId;
use crate::ports::{LogStore, StoreError};
use crate::timeline::Restored;
use std::collections::{BTreeSet, HashMap};

/// Log entries read per step.
const SCAN_CHUNK: usize = 4096;

/// The next entry at or after a position (within the bound of the search): its position and
/// commit time, `None` when there is none.
pub type NextFn<'a> = dyn Fn(u64) -> Result<Option<(u64, i64)>, StoreError> + 'a;

/// The last position in `1..=upto` whose entry was committed before `cutoff_us` (0 when there
/// is none), with `next` answering the first entry at or after a position. Positions without
/// an entry count as committed when the next entry was, which keeps commit times ascending.
pub fn last_before(next: &NextFn<'_>, cutoff_us: i64, upto: u64) -> Result<u64, StoreError> {
    // Invariant: the entry at `lo` (if any) is before the cutoff; every entry above `hi` is not.
    let (mut lo, mut hi) = (0, upto);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        match next(mid)? {
            Some((at, t)) if at <= upto && t < cutoff_us => lo = at.min(hi),
            _ => hi = mid - 1,
        }
    }
    Ok(lo)
}

/// The months (UTC, by `stored`) that hold statements of a store of `last`, up to that store's
/// month in `last` (inclusive): what the retention job archives, ascending by store then month.
/// Reads the log up to the last position committed before the latest of those months ends,
/// and the `restored` ranges that may hold older statements (see the module doc).
pub fn months_held(
    log: &dyn LogStore,
    restored: &[Restored],
    last: &HashMap<StoreId, Month>,
) -> Result<BTreeSet<(StoreId, Month)>, Error> {
    let mut out = BTreeSet::new();
    let Some(cutoff) = last.values().map(|m| m.range_us().1).max() else {
        return Ok(out);
    };
    let upto = log.last_seq()?;
    let in_restored = |seq: u64| restored.iter().find(|r| r.first <= seq && seq <= r.last);
    let next = |seq: u64| -> Result<Option<(u64, i64)>, StoreError> {
        Ok(log
            .events_after(seq.saturating_sub(1), 1)?
            .into_iter()
            .next()
            .map(|(at, e)| (at, in_restored(at).map_or(e.at_us(), |r| r.at_us))))
    };
    let mut ranges = vec![(1, last_before(&next, cutoff, upto)?)];
    ranges.extend(
        restored
            .iter()
            .filter(|r| r.min_stored_us < cutoff)
            .map(|r| (r.first, r.last.min(upto))),
    );
    for (first, end) in merged(ranges) {
        let mut after = first - 1;
        while after < end {
            let chunk = log.events_after(after, SCAN_CHUNK)?;
            let Some((tail, _)) = chunk.last() else { break };
            after = *tail;
            for (_, e) in chunk.into_iter().filter(|(seq, _)| *seq <= end) {
                if let Event::Statement(r) = e
                    && let Some(newest) = last.get(&r.store)
                {
                    let m = Month::of_us(r.stored_us);
                    if m <= *newest {
                        out.insert((r.store, m));
                    }
                }
            }
        }
    }
    Ok(out)
}

/// Inclusive ranges, non-empty ones only, sorted and with overlaps joined.
fn merged(mut ranges: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    ranges.retain(|(a, b)| *a >= 1 && a <= b);
    ranges.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::new();
    for (a, b) in ranges {
        match out.last_mut() {
            Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    /// Entries at the given (position, commit time) pairs, ascending; the rest are holes.
    struct Log {
        entries: Vec<(u64, i64)>,
        reads: Cell<usize>,
    }

    impl Log {
        fn next(&self, seq: u64) -> Result<Option<(u64, i64)>, StoreError> {
            self.reads.set(self.reads.get() + 1);
            Ok(self.entries.iter().find(|(s, _)| *s >= seq).copied())
        }
        /// What a full read finds: the last position committed before `cutoff`.
        fn expected(&self, cutoff: i64, upto: u64) -> u64 {
            self.entries
                .iter()
                .filter(|(s, t)| *s <= upto && *t < cutoff)
                .map(|(s, _)| *s)
                .max()
                .unwrap_or(0)
        }
    }

    #[test]
    fn the_bound_is_the_last_entry_before_the_cutoff_across_holes() {
        // 1..=1000 committed at 10 µs each, with every position in 200..=700 removed but 450.
        let entries: Vec<(u64, i64)> = (1..=1000u64)
            .filter(|s| !(200..=700).contains(s) || *s == 450)
            .map(|s| (s, s as i64 * 10))
            .collect();
        let log = Log {
            entries,
            reads: Cell::new(0),
        };
        let next = |s| log.next(s);
        for cutoff in [
            0,
            5,
            10,
            11,
            1990,
            2000,
            2001,
            3000,
            4500,
            4501,
            7005,
            9999,
            10_001,
            1 << 40,
        ] {
            for upto in [0, 1, 199, 450, 451, 700, 701, 1000, 1200] {
                log.reads.set(0);
                assert_eq!(
                    last_before(&next, cutoff, upto).unwrap(),
                    log.expected(cutoff, upto),
                    "cutoff {cutoff}, upto {upto}"
                );
                assert!(log.reads.get() <= 12, "{} reads", log.reads.get());
            }
        }
    }

    #[test]
    fn an_empty_log_or_one_with_every_entry_removed_has_no_bound() {
        let log = Log {
            entries: Vec::new(),
            reads: Cell::new(0),
        };
        assert_eq!(last_before(&|s| log.next(s), i64::MAX, 500).unwrap(), 0);
    }

    #[test]
    fn ranges_are_joined_where_they_meet() {
        assert_eq!(
            merged(vec![
                (900, 950),
                (1, 100),
                (50, 120),
                (121, 130),
                (5, 4),
                (0, 0)
            ]),
            vec![(1, 130), (900, 950)]
        );
    }
}
