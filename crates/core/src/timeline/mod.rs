//! The log's timeline: the writer assigns `stored` in log order (every event of the log is
//! committed at or after the one before it), so a time splits the log into the positions
//! committed at or before it and the positions after it. Filtered statement reads turn `since`
//! and `until` into bounds on log positions ([`Timeline::bounds`]), which ClickHouse prunes by
//! its primary key `(store, seq)` instead of reading the `stored_us` column of the whole range;
//! the exact time conditions still apply, so the answer is the same with or without the bounds.
//!
//! The index is the log itself, searched by bisection (one point read per step), with the
//! probed points remembered: a committed entry never changes, so a remembered point stays true,
//! and a later search starts between the nearest remembered points.
//!
//! A restored archive month ([`crate::archive`]) breaks the order: its statements are appended
//! at new positions with their old `stored` times. Such ranges are known ([`Restored`]): the
//! search treats each of their positions as committed at the restore's commit time (which keeps
//! the order), and the bounds are then widened so that every range whose `stored` times meet
//! `since` / `until` stays inside them. The writer records the ranges with the statements
//! ([`restored`]), so every node of a cluster knows them.
pub mod restored;

use crate::ports::{LogStore, StoreError};
use crate::query::StatementQuery;
use std::sync::Mutex;

/// Probed points remembered before the memory starts afresh.
pub const TIMELINE_POINTS: usize = 4096;

/// Log positions `first..=last` appended at `at_us` with older `stored` times, between
/// `min_stored_us` and `max_stored_us` (a restored archive month).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Restored {
    pub first: u64,
    pub last: u64,
    pub at_us: i64,
    pub min_stored_us: i64,
    pub max_stored_us: i64,
}

/// Remembered (position, commit time) points, both increasing, and the restored ranges.
#[derive(Debug, Default)]
pub struct Timeline {
    points: Mutex<Vec<(u64, i64)>>,
    restored: Mutex<Vec<Restored>>,
}

impl Timeline {
    pub fn new() -> Self {
        Timeline::default()
    }

    /// A timeline holding the restored ranges recorded in `log`.
    pub fn load(log: &dyn LogStore) -> Result<Self, StoreError> {
        let t = Timeline::new();
        t.replace_restored(&restored::load(log)?);
        Ok(t)
    }

    /// Replaces the restored ranges (see the module doc); remembered points are dropped, as a
    /// remembered point inside a range holds its `stored` time rather than the restore's.
    pub fn replace_restored(&self, ranges: &[Restored]) {
        let mut r = self.restored.lock().unwrap_or_else(|p| p.into_inner());
        *r = ranges.to_vec();
        r.sort_by_key(|x| x.first);
        r.dedup();
        self.points
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// The restored ranges recorded.
    pub fn restored(&self) -> Vec<Restored> {
        self.restored
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The last position in `1..=upto` whose event was committed at or before `t` (0 when there
    /// is none), or `None` when the log misses an entry on the way (no bound can be given).
    pub fn last_at_or_before(
        &self,
        log: &dyn LogStore,
        t: i64,
        upto: u64,
    ) -> Result<Option<u64>, StoreError> {
        self.search(&|seq| Ok(log.event(seq)?.map(|e| e.at_us())), t, upto)
    }

    /// [`Timeline::last_at_or_before`] over `at`: the commit time of a position (`None` when
    /// the log has no entry there).
    pub fn search(&self, at: &AtFn<'_>, t: i64, upto: u64) -> Result<Option<u64>, StoreError> {
        // Invariant: position `lo` is committed at or before `t` (0: before the log), and every
        // position in `hi + 1..=upto` after it.
        let (mut lo, mut hi) = {
            let points = self.points.lock().unwrap_or_else(|p| p.into_inner());
            let split = points.partition_point(|(_, at)| *at <= t);
            let before = &points[..split];
            let lo = before[..before.partition_point(|(s, _)| *s <= upto)]
                .last()
                .map_or(0, |(s, _)| *s);
            let hi = points
                .get(split)
                .map_or(upto, |(s, _)| s.saturating_sub(1).min(upto));
            (lo, hi.max(lo))
        };
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            let Some(at_mid) = at(mid)? else {
                return Ok(None);
            };
            self.remember(mid, at_mid);
            if at_mid <= t {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        Ok(Some(lo))
    }

    fn remember(&self, seq: u64, at: i64) {
        let mut points = self.points.lock().unwrap_or_else(|p| p.into_inner());
        if points.len() >= TIMELINE_POINTS {
            points.clear();
        }
        let i = points.partition_point(|(s, _)| *s < seq);
        if points.get(i).is_none_or(|(s, _)| *s != seq) {
            points.insert(i, (seq, at));
        }
    }

    /// `q` with the log positions its `since` / `until` imply, within `1..=upto` (the page's
    /// window): statements stored after `since` are above `seq_above`, statements stored at or
    /// before `until` at or below `seq_upto`.
    pub fn bounds(
        &self,
        log: &dyn LogStore,
        q: &StatementQuery,
        upto: u64,
    ) -> Result<StatementQuery, StoreError> {
        self.bounds_with(&|seq| Ok(log.event(seq)?.map(|e| e.at_us())), q, upto)
    }

    /// [`Timeline::bounds`] over `at` (see [`Timeline::search`]).
    pub fn bounds_with(
        &self,
        at: &AtFn<'_>,
        q: &StatementQuery,
        upto: u64,
    ) -> Result<StatementQuery, StoreError> {
        let restored = self.restored();
        let ordered = |seq: u64| match restored.iter().find(|r| r.first <= seq && seq <= r.last) {
            Some(r) => Ok(at(seq)?.map(|_| r.at_us)),
            None => at(seq),
        };
        let mut out = q.clone();
        if let Some(since) = q.since_us {
            out.seq_above = self.search(&ordered, since, upto)?.unwrap_or(0);
            for r in restored.iter().filter(|r| r.max_stored_us > since) {
                out.seq_above = out.seq_above.min(r.first.saturating_sub(1));
            }
        }
        if let Some(until) = q.until_us {
            out.seq_upto = self.search(&ordered, until, upto)?;
            for r in restored.iter().filter(|r| r.min_stored_us <= until) {
                out.seq_upto = out.seq_upto.map(|u| u.max(r.last.min(upto)));
            }
        }
        Ok(out)
    }
}

/// The commit time of a log position, `None` when the log has no entry there.
pub type AtFn<'a> = dyn Fn(u64) -> Result<Option<i64>, StoreError> + 'a;

/// Checks that for every `since` / `until` among `checks`, the bounds `timeline` gives hold
/// every statement of the log (position i + 1 stored at `times[i]`) that the times select.
#[cfg(test)]
pub(crate) fn assert_bounds_keep_every_statement(
    timeline: &Timeline,
    at: &AtFn<'_>,
    times: &[i64],
    checks: &[Option<i64>],
) {
    let upto = times.len() as u64;
    for &since in checks {
        for &until in checks {
            let mut q = StatementQuery::new(crate::ids::StoreId::DEFAULT);
            q.since_us = since;
            q.until_us = until;
            let b = timeline.bounds_with(at, &q, upto).unwrap();
            for (i, t) in times.iter().enumerate() {
                let seq = i as u64 + 1;
                let in_time = since.is_none_or(|s| *t > s) && until.is_none_or(|u| *t <= u);
                let in_bounds = seq > b.seq_above && b.seq_upto.is_none_or(|u| seq <= u);
                assert!(
                    !in_time || in_bounds,
                    "since {since:?} until {until:?} seq {seq} lost"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::StoreId;
    use std::cell::Cell;

    /// A log whose position i + 1 was committed at `times[i]`, counting its reads.
    struct Log {
        times: Vec<i64>,
        reads: Cell<usize>,
    }

    impl Log {
        fn new(times: Vec<i64>) -> Self {
            Log {
                times,
                reads: Cell::new(0),
            }
        }
        fn at(&self, seq: u64) -> Result<Option<i64>, StoreError> {
            self.reads.set(self.reads.get() + 1);
            Ok(seq
                .checked_sub(1)
                .and_then(|i| self.times.get(i as usize))
                .copied())
        }
    }

    /// The answer by definition: the last position committed at or before `t`.
    fn scan(times: &[i64], t: i64, upto: u64) -> u64 {
        (1..=upto)
            .filter(|s| times[*s as usize - 1] <= t)
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn every_time_finds_the_last_position_at_or_before_it() {
        // Runs of equal times (events of one millisecond), gaps, and a long flat stretch.
        let mut times = Vec::new();
        for i in 0..300i64 {
            times.push(1_000 * (i / 7) + i64::from(i % 5 == 0));
        }
        times.sort();
        let log = Log::new(times.clone());
        let timeline = Timeline::new();
        for upto in [0, 1, 2, 150, 299, 300] {
            for t in (-1_000..44_000).step_by(250).chain(times.iter().copied()) {
                let want = scan(&times, t, upto);
                let got = timeline.search(&|s| log.at(s), t, upto).unwrap();
                assert_eq!(got, Some(want), "t {t} upto {upto}");
            }
        }
    }

    #[test]
    fn remembered_points_save_reads() {
        let log = Log::new((0..100_000).map(|i| 10 * i).collect());
        let timeline = Timeline::new();
        let at = |s| log.at(s);
        timeline.search(&at, 500_000, 100_000).unwrap();
        let first = log.reads.get();
        assert!(first <= 17, "a bisection of 100k positions: {first} reads");
        assert_eq!(
            timeline.search(&at, 500_000, 100_000).unwrap(),
            Some(50_001)
        );
        assert_eq!(
            log.reads.get(),
            first,
            "the same search again reads nothing"
        );
        assert_eq!(
            timeline.search(&at, 500_300, 100_000).unwrap(),
            Some(50_031)
        );
        assert!(
            log.reads.get() - first < first,
            "a nearby search starts between known points"
        );
    }

    #[test]
    fn bounds_hold_exactly_the_statements_of_the_time_range() {
        let times: Vec<i64> = vec![5, 5, 5, 6, 8, 8, 9, 12, 12, 12];
        let log = Log::new(times.clone());
        let timeline = Timeline::new();
        let at = |s| log.at(s);
        for since in [None, Some(0), Some(5), Some(7), Some(8), Some(12), Some(20)] {
            for until in [None, Some(0), Some(5), Some(6), Some(8), Some(11), Some(12)] {
                let mut q = StatementQuery::new(StoreId::DEFAULT);
                q.since_us = since;
                q.until_us = until;
                let b = timeline.bounds_with(&at, &q, 10).unwrap();
                for (i, t) in times.iter().enumerate() {
                    let seq = i as u64 + 1;
                    let in_time = since.is_none_or(|s| *t > s) && until.is_none_or(|u| *t <= u);
                    let in_bounds = seq > b.seq_above && b.seq_upto.is_none_or(|u| seq <= u);
                    assert_eq!(
                        in_time, in_bounds,
                        "since {since:?} until {until:?} seq {seq}"
                    );
                }
            }
        }
    }

    #[test]
    fn restored_ranges_stay_inside_the_bounds() {
        // Positions 1..=6 in order, then 7..=9 restored (old `stored`), then 10..=12 in order.
        let times: Vec<i64> = vec![10, 20, 30, 40, 50, 60, 15, 25, 35, 70, 80, 90];
        let log = Log::new(times.clone());
        let timeline = Timeline::new();
        timeline.replace_restored(&[Restored {
            first: 7,
            last: 9,
            at_us: 65,
            min_stored_us: 15,
            max_stored_us: 35,
        }]);
        let at = |s| log.at(s);
        let checks = [
            None,
            Some(0),
            Some(15),
            Some(20),
            Some(35),
            Some(36),
            Some(65),
            Some(100),
        ];
        assert_bounds_keep_every_statement(&timeline, &at, &times, &checks);
        // Without the range recorded, a restored statement would fall outside the bounds.
        let mut q = StatementQuery::new(StoreId::DEFAULT);
        q.until_us = Some(20);
        let unaware = Timeline::new().bounds_with(&at, &q, 12).unwrap();
        assert!(unaware.seq_upto.is_some_and(|u| u < 7));
        assert_eq!(timeline.bounds_with(&at, &q, 12).unwrap().seq_upto, Some(9));
    }

    #[test]
    fn a_missing_entry_gives_no_bound() {
        let log = Log::new(vec![1, 2, 3]);
        let timeline = Timeline::new();
        assert_eq!(timeline.search(&|s| log.at(s), 2, 10).unwrap(), None);
        let mut q = StatementQuery::new(StoreId::DEFAULT);
        q.since_us = Some(2);
        q.until_us = Some(2);
        let b = Timeline::new().bounds_with(&|s| log.at(s), &q, 10).unwrap();
        assert_eq!((b.seq_above, b.seq_upto), (0, None));
    }
}
