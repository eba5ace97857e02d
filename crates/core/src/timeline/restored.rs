//! Restored ranges: the log positions that hold statements restored from an archive, with
//! their old `stored` times ([`Restored`]). The writer records them itself, in the same commit
//! as the statements (one `meta` row, [`RESTORED_META`]), so a range is never missing or half
//! written after a crash, and in cluster mode the row travels with the statements through the
//! replicated log: every node knows every range, whichever node restored it.
//!
//! A group's restored positions form one range ([`extend`]); a range is merged into a recorded
//! one when at most [`RESTORED_MERGE_GAP`] positions lie between them ([`merge`]), so a month
//! restored in many groups while clients keep writing stays a few ranges. Merging only widens
//! the bounds the timeline gives (the positions between are treated as committed at the later
//! range's time, which keeps the order), so no statement is ever left out of them.
use super::Restored;
use crate::ports::{LogStore, StoreError};

/// The `meta` key of the restored ranges (format-versioned by [`encode`]).
pub const RESTORED_META: &str = "archive.restored";

/// Ranges separated by at most this many log positions are recorded as one.
pub const RESTORED_MERGE_GAP: u64 = 10_000;

/// The row's bytes: a format-version byte, then postcard ([`crate::codec`]).
pub fn encode(ranges: &[Restored]) -> Vec<u8> {
    crate::codec::encode(&ranges.to_vec())
}

/// Decodes a row written by [`encode`], or by earlier versions (a JSON list).
pub fn decode(bytes: &[u8]) -> Result<Vec<Restored>, StoreError> {
    let e = |e: String| StoreError(format!("the restored ranges cannot be read: {e}"));
    if bytes.first() == Some(&b'[') {
        return serde_json::from_slice(bytes).map_err(|x| e(x.to_string()));
    }
    crate::codec::decode(bytes).map_err(e)
}

/// The ranges recorded in `log`'s `meta`.
pub fn load(log: &dyn LogStore) -> Result<Vec<Restored>, StoreError> {
    log.meta_get(RESTORED_META)?
        .map_or(Ok(Vec::new()), |b| decode(&b))
}

/// The ranges in a write set's `meta` rows, when it changes them.
pub fn in_meta(meta: &[(String, Option<Vec<u8>>)]) -> Result<Option<Vec<Restored>>, StoreError> {
    match meta.iter().rev().find(|(k, _)| k == RESTORED_META) {
        None => Ok(None),
        Some((_, None)) => Ok(Some(Vec::new())),
        Some((_, Some(b))) => decode(b).map(Some),
    }
}

/// Adds position `seq`, restored with its old `stored_us`, to `range`: `order_us` is the
/// commit time the writer gave the position (every position after it is committed later).
pub fn extend(range: &mut Option<Restored>, seq: u64, stored_us: i64, order_us: i64) {
    match range {
        Some(r) => {
            r.last = r.last.max(seq);
            r.at_us = r.at_us.max(order_us);
            r.min_stored_us = r.min_stored_us.min(stored_us);
            r.max_stored_us = r.max_stored_us.max(stored_us).max(order_us);
        }
        None => {
            *range = Some(Restored {
                first: seq,
                last: seq,
                at_us: order_us,
                min_stored_us: stored_us,
                max_stored_us: stored_us.max(order_us),
            })
        }
    }
}

/// `ranges` with `new` (positions after every recorded range) added: merged into the last
/// range when at most [`RESTORED_MERGE_GAP`] positions lie between them.
pub fn merge(ranges: &[Restored], new: Restored) -> Vec<Restored> {
    let mut out = ranges.to_vec();
    out.sort_by_key(|r| r.first);
    match out.last_mut() {
        Some(r) if r.last < new.first && new.first - r.last - 1 <= RESTORED_MERGE_GAP => {
            r.last = new.last;
            r.at_us = r.at_us.max(new.at_us);
            r.min_stored_us = r.min_stored_us.min(new.min_stored_us);
            r.max_stored_us = r.max_stored_us.max(new.max_stored_us);
        }
        _ => out.push(new),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::Timeline;

    fn range(first: u64, last: u64, at_us: i64, min: i64, max: i64) -> Restored {
        Restored {
            first,
            last,
            at_us,
            min_stored_us: min,
            max_stored_us: max,
        }
    }

    #[test]
    fn rows_round_trip_and_earlier_json_rows_still_read() {
        let ranges = vec![range(3, 9, 100, 5, 100), range(20, 21, 300, 1, 300)];
        let bytes = encode(&ranges);
        assert_eq!(bytes[0], crate::codec::V1, "format-versioned");
        assert_eq!(decode(&bytes).unwrap(), ranges);
        let json = serde_json::to_vec(&ranges).unwrap();
        assert_eq!(decode(&json).unwrap(), ranges);
        assert!(
            decode(b"\xC1\xFF")
                .unwrap_err()
                .0
                .contains("restored ranges")
        );
    }

    #[test]
    fn near_ranges_merge_and_far_ones_do_not() {
        let a = range(10, 19, 50, 1, 50);
        let next = merge(&[a], range(20, 29, 60, 2, 60));
        assert_eq!(next, vec![range(10, 29, 60, 1, 60)]);
        let gap = 20 + RESTORED_MERGE_GAP;
        let near = merge(&[a], range(gap, gap + 5, 70, 0, 70));
        assert_eq!(near, vec![range(10, gap + 5, 70, 0, 70)]);
        let far = merge(&[a], range(gap + 1, gap + 5, 70, 0, 70));
        assert_eq!(far.len(), 2);
    }

    /// Merging across a gap of client statements keeps every statement inside the bounds
    /// (checked against the definition for every since / until).
    #[test]
    fn merged_ranges_keep_every_statement_inside_the_bounds() {
        // 1..=4 in order; 5..=6 restored (group at 45); 7..=8 clients; 9..=10 restored (at 85);
        // 11..=12 in order.
        let times: Vec<i64> = vec![10, 20, 30, 40, 3, 7, 60, 70, 2, 9, 90, 95];
        let order: Vec<i64> = vec![10, 20, 30, 40, 44, 45, 60, 70, 84, 85, 90, 95];
        let mut first = None;
        let mut second = None;
        for seq in [5u64, 6] {
            let i = seq as usize - 1;
            extend(&mut first, seq, times[i], order[i]);
        }
        for seq in [9u64, 10] {
            let i = seq as usize - 1;
            extend(&mut second, seq, times[i], order[i]);
        }
        let ranges = merge(&merge(&[], first.unwrap()), second.unwrap());
        assert_eq!(ranges.len(), 1);
        let timeline = Timeline::new();
        timeline.replace_restored(&ranges);
        let at = |s: u64| {
            Ok(s.checked_sub(1)
                .and_then(|i| times.get(i as usize))
                .copied())
        };
        let checks = [
            None,
            Some(0),
            Some(2),
            Some(5),
            Some(9),
            Some(45),
            Some(65),
            Some(86),
        ];
        crate::timeline::assert_bounds_keep_every_statement(&timeline, &at, &times, &checks);
    }
}
