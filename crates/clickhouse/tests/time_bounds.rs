//! `since` / `until` as log positions (`cairn_core::timeline`): on a real server, every filtered
//! read answers the same with the positions the timeline derives as without them, at every
//! boundary of the data set's times, statements stored in the same millisecond included.
mod common;

use cairn_clickhouse::samples;
use cairn_core::timeline::Timeline;
use cairn_core::{Page, Projection, StatementQuery, StatementRecord, StoreId};
use std::sync::Arc;

/// The sample data set, stored four statements a millisecond (one µs apart, as the writer
/// assigns them within a group commit), with a 5 ms gap every 12 statements.
fn records() -> Vec<(u64, Arc<StatementRecord>)> {
    samples::records()
        .into_iter()
        .map(|(seq, r)| {
            let mut r = (*r).clone();
            let ms = (seq / 4) as i64 + 5 * (seq / 12) as i64;
            r.stored_us = samples::BASE_US + ms * 1_000 + (seq % 4) as i64;
            (seq, Arc::new(r))
        })
        .collect()
}

#[tokio::test]
async fn time_bounds_change_no_answer() {
    let p = common::fresh_projection().await;
    p.migrate().await.unwrap();
    let records = records();
    p.insert(&records, &samples::retractions(&records))
        .await
        .unwrap();
    let times: Vec<i64> = records.iter().map(|(_, r)| r.stored_us).collect();
    let at = |seq: u64| {
        Ok(seq
            .checked_sub(1)
            .and_then(|i| times.get(i as usize))
            .copied())
    };
    // Every stored time, one µs either side, and the millisecond boundaries around them.
    let mut instants: Vec<i64> = times
        .iter()
        .flat_map(|t| [t - 1, *t, t + 1, t - t % 1_000 - 1])
        .collect();
    instants.push(samples::BASE_US - 1_000_000);
    instants.sort_unstable();
    instants.dedup();
    let mut shapes: Vec<StatementQuery> = Vec::new();
    for ascending in [false, true] {
        let mut q = StatementQuery::new(StoreId::DEFAULT);
        q.ascending = ascending;
        shapes.push(q.clone());
        shapes.push(StatementQuery {
            verb: Some(samples::verb(1)),
            ..q.clone()
        });
        shapes.push(StatementQuery {
            agent: Some(samples::agent(2)),
            ..q.clone()
        });
        shapes.push(StatementQuery {
            registration: Some(samples::registration(1)),
            ..q
        });
    }
    let timeline = Timeline::new();
    let (mut checked, mut narrowed, mut non_empty) = (0, 0, 0);
    for (i, since) in instants.iter().enumerate() {
        // Since alone, until alone, and a range of a few boundaries.
        let pairs = [
            (Some(*since), None),
            (None, Some(*since)),
            (Some(*since), instants.get(i + 9).copied()),
        ];
        for (since, until) in pairs {
            for (k, shape) in shapes.iter().enumerate() {
                let q = StatementQuery {
                    since_us: since,
                    until_us: until,
                    ..shape.clone()
                };
                // Whole answers, and a short page of an older window.
                let (max_seq, limit) = if k % 2 == 0 {
                    (samples::N, 100)
                } else {
                    (samples::N - 3, 3)
                };
                let page = Page {
                    max_seq,
                    after: None,
                    limit,
                };
                let bounded = timeline.bounds_with(&at, &q, max_seq).unwrap();
                narrowed += usize::from(bounded.seq_above > 0 || bounded.seq_upto.is_some());
                let want = samples::expected(&records, &q, &page);
                non_empty += usize::from(!want.is_empty());
                let plain = p.query_seqs(&q, &page).await.unwrap();
                let fast = p.query_seqs(&bounded, &page).await.unwrap();
                assert_eq!(plain, want, "{q:?} {page:?}");
                assert_eq!(fast, want, "{bounded:?} {page:?}");
                checked += 1;
            }
        }
    }
    assert!(checked > 1_000, "{checked} queries");
    assert!(narrowed > checked / 2, "{narrowed} of {checked} narrowed");
    assert!(
        non_empty > checked / 3,
        "{non_empty} of {checked} with answers"
    );
    common::cleanup(&p).await;
}
