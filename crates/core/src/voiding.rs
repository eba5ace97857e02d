//! Which projected statements are voided, and from which point of the log on: the projector
//! tells the analytics projection with each batch, so aggregates can leave voided statements out
//! without scanning for them.
//!
//! A statement is voided when it is not itself a voiding statement and its store holds a voiding
//! statement that names it (xAPI 1.0.3 Data 2.3.2, "if and only if"). The voiding statement may
//! come before its target (the LRS must accept it either way), so the projection learns that a
//! statement is voided at `at = max(seq of the target, seq of its first voiding statement)`: the
//! first batch that holds both. The rule reads only what the log already fixed (a statement's
//! seq and the seq of the first statement that voided it never change), so replaying the log
//! after `discard_after` or `reproject` yields the same retractions at the same sequence numbers.
use crate::event::StatementRecord;
use crate::ids::StoreId;
use std::sync::Arc;
use uuid::Uuid;

/// The statement at `seq` in `store` is voided from sequence number `at` on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Retraction {
    pub store: StoreId,
    pub seq: u64,
    pub at: u64,
}

/// The retractions a batch of the log brings, in `at` order, each voided statement once:
///
/// - a voiding statement at `s` whose target is an earlier statement at `t`, when it is the first
///   statement that voided it: `(t, at s)`;
/// - a statement at `s` that an earlier statement already voided: `(s, at s)`.
///
/// `statement_seq` and `voided_by` are the log's indexes: the seq of a statement id, and the seq
/// of the first statement that voided an id (recorded even when the id was not stored yet).
/// The writer never accepts a voiding statement whose stored target is itself voiding, so a
/// target stored before its voiding statement is never a voiding statement; a voiding statement
/// that arrives after another statement voided its id is not voided (it is checked here).
pub fn retractions<E>(
    rows: &[(u64, Arc<StatementRecord>)],
    mut statement_seq: impl FnMut(StoreId, Uuid) -> Result<Option<u64>, E>,
    mut voided_by: impl FnMut(StoreId, Uuid) -> Result<Option<u64>, E>,
) -> Result<Vec<Retraction>, E> {
    let mut out = Vec::new();
    for (s, r) in rows {
        match r.voids {
            Some(target) => {
                if voided_by(r.store, target)? == Some(*s)
                    && let Some(t) = statement_seq(r.store, target)?
                    && t < *s
                {
                    out.push(Retraction {
                        store: r.store,
                        seq: t,
                        at: *s,
                    });
                }
            }
            None => {
                if voided_by(r.store, r.id)?.is_some_and(|v| v < *s) {
                    out.push(Retraction {
                        store: r.store,
                        seq: *s,
                        at: *s,
                    });
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::FilterKeys;
    use std::collections::HashMap;

    fn rec(store: u128, id: u128, voids: Option<u128>) -> Arc<StatementRecord> {
        Arc::new(StatementRecord {
            store: StoreId(Uuid::from_u128(store)),
            id: Uuid::from_u128(id),
            stored_us: 0,
            keys: FilterKeys::default(),
            voids: voids.map(Uuid::from_u128),
            attachments: vec![],
            body: b"{}".to_vec(),
            facts: None,
        })
    }

    type Index = HashMap<(StoreId, Uuid), u64>;

    /// The log's indexes as the writer builds them: ids → seq, and the first voiding seq of
    /// each (store, id), whether or not that id exists.
    fn indexes(log: &[(u64, Arc<StatementRecord>)]) -> (Index, Index) {
        let mut ids = HashMap::new();
        let mut voided = HashMap::new();
        for (s, r) in log {
            ids.insert((r.store, r.id), *s);
            if let Some(t) = r.voids {
                voided.entry((r.store, t)).or_insert(*s);
            }
        }
        (ids, voided)
    }

    fn run(
        log: &[(u64, Arc<StatementRecord>)],
        batch: &[(u64, Arc<StatementRecord>)],
    ) -> Vec<(u64, u64)> {
        let (ids, voided) = indexes(log);
        retractions::<()>(
            batch,
            |s, id| Ok(ids.get(&(s, id)).copied()),
            |s, id| Ok(voided.get(&(s, id)).copied()),
        )
        .unwrap()
        .into_iter()
        .map(|r| (r.seq, r.at))
        .collect()
    }

    #[test]
    fn every_voided_statement_is_retracted_once_where_both_are_in_the_log() {
        let log: Vec<(u64, Arc<StatementRecord>)> = vec![
            (1, rec(1, 10, None)),
            (2, rec(1, 11, None)),
            (3, rec(1, 20, Some(10))),  // voids 1, after it
            (4, rec(1, 21, Some(10))),  // voids 1 again: nothing new
            (5, rec(1, 22, Some(12))),  // voids 12, which arrives at 7
            (6, rec(1, 23, Some(99))),  // voids an id that never arrives
            (7, rec(1, 12, None)),      // voided on arrival
            (8, rec(2, 24, Some(11))),  // another store's id 11: not this one
            (9, rec(1, 25, Some(13))),  // voids 13, which arrives at 10 as a voiding statement
            (10, rec(1, 13, Some(11))), // voiding statements are never voided; voids 2
        ];
        assert_eq!(run(&log, &log), vec![(1, 3), (7, 7), (2, 10)]);
        // Any split into batches gives the same retractions at the same points.
        for cut in 0..=log.len() {
            let mut got = run(&log, &log[..cut]);
            got.extend(run(&log, &log[cut..]));
            assert_eq!(got, vec![(1, 3), (7, 7), (2, 10)], "cut at {cut}");
        }
    }
}
