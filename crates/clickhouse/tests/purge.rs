//! Purges on a real ClickHouse (a cluster too, with `CAIRN_TEST_CLICKHOUSE_CLUSTER`): removed
//! statements leave every seq-keyed table, and the aggregates rebuilt after the removal count
//! exactly the statements that remain (on a cluster, a rebuild that ran before a server applied
//! the delete would still count the removed ones).
mod common;

use cairn_clickhouse::samples;
use cairn_core::purge::{PurgePlan, PurgeReason, PurgeScope};
use cairn_core::{Projection, StoreId};

async fn count(p: &cairn_clickhouse::ClickHouseProjection, sql: &str) -> u64 {
    p.client().query(sql).fetch_one::<u64>().await.expect(sql)
}

/// The aggregates count what `statements` holds, store by store.
async fn assert_aggregates_match(p: &cairn_clickhouse::ClickHouseProjection) {
    for store in [StoreId::DEFAULT, samples::OTHER_STORE] {
        let s = store.0;
        let raw = count(
            p,
            &format!("SELECT count() FROM statements WHERE store = toUUID('{s}')"),
        )
        .await;
        let hourly = format!(
            "SELECT toUInt64(countMerge(statements)) FROM statements_hourly WHERE store = toUUID('{s}')"
        );
        assert_eq!(count(p, &hourly).await, raw, "statements_hourly of {s}");
        let values = format!(
            "SELECT toUInt64(countMerge(statements)) FROM query_values \
             WHERE store = toUUID('{s}') AND path = ''"
        );
        assert_eq!(count(p, &values).await, raw, "query_values of {s}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purged_statements_leave_every_table_and_the_aggregates() {
    let p = common::fresh_projection().await;
    p.migrate().await.unwrap();
    let records = samples::records();
    p.insert(&records, &samples::retractions(&records))
        .await
        .unwrap();
    assert_aggregates_match(&p).await;

    // Every fifth statement of the default store that voids nothing (none of them is voided:
    // `samples::VOIDING`): 5, 10, 15 and 30.
    let seqs: Vec<u64> = records
        .iter()
        .filter(|(seq, r)| r.store == StoreId::DEFAULT && r.voids.is_none() && seq % 5 == 0)
        .map(|(seq, _)| *seq)
        .collect();
    assert!(seqs.len() >= 3, "{seqs:?}");
    let list = seqs
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let hours: Vec<u32> = p
        .client()
        .query(&format!(
            "SELECT DISTINCT toUInt32(toStartOfHour(stored, 'UTC')) FROM statements WHERE seq IN ({list})"
        ))
        .fetch_all()
        .await
        .unwrap();
    let before = count(&p, "SELECT count() FROM statements").await;
    let mut plan = PurgePlan::new(
        PurgeReason::BatchDelete,
        "test",
        PurgeScope::Entries {
            stores: vec![StoreId::DEFAULT],
        },
    );
    plan.seqs = seqs.clone();
    plan.statements = seqs.len() as u64;
    plan.hours = hours.iter().map(|h| (StoreId::DEFAULT, *h)).collect();
    plan.until = samples::N;
    purge(&p, &plan).await;

    let n = seqs.len() as u64;
    assert_eq!(
        count(&p, "SELECT count() FROM statements").await,
        before - n
    );
    for table in ["statements", "actor_hours", "statement_key_index"] {
        let left = count(
            &p,
            &format!("SELECT count() FROM {table} WHERE seq IN ({list})"),
        )
        .await;
        assert_eq!(left, 0, "{table}");
    }
    assert_aggregates_match(&p).await;

    // A whole store.
    let other = samples::OTHER_STORE.0;
    let mut plan = PurgePlan::new(
        PurgeReason::StoreDeletion,
        "test",
        PurgeScope::Store(samples::OTHER_STORE),
    );
    plan.until = samples::N;
    purge(&p, &plan).await;
    for table in cairn_clickhouse::purge::STORE_TABLES {
        let left = count(
            &p,
            &format!("SELECT count() FROM {table} WHERE store = toUUID('{other}')"),
        )
        .await;
        assert_eq!(left, 0, "{table}");
    }
    assert_aggregates_match(&p).await;
    common::cleanup(&p).await;
}

/// A purge as the server runs it: the rows, then the aggregates.
async fn purge(p: &cairn_clickhouse::ClickHouseProjection, plan: &PurgePlan) {
    use cairn_core::Projection;
    p.purge_rows(plan).await.unwrap();
    p.purge_aggregates(plan).await.unwrap();
}

/// In a database shared by the nodes of a cluster the rebuild writes only while the projection
/// lease's window is open: closed, it fails before deleting any aggregate row; open, it
/// rebuilds exactly as on a single node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shared_rebuild_writes_only_within_the_lease_window() {
    let p = common::fresh_projection().await;
    p.migrate().await.unwrap();
    let records = samples::records();
    p.insert(&records, &samples::retractions(&records))
        .await
        .unwrap();
    let seqs: Vec<u64> = records
        .iter()
        .filter(|(seq, r)| r.store == StoreId::DEFAULT && r.voids.is_none() && seq % 5 == 0)
        .map(|(seq, _)| *seq)
        .collect();
    let mut plan = PurgePlan::new(
        PurgeReason::Erasure,
        "test",
        PurgeScope::Entries {
            stores: vec![StoreId::DEFAULT],
        },
    );
    plan.hours = records
        .iter()
        .filter(|(seq, _)| seqs.contains(seq))
        .map(|(_, r)| (StoreId::DEFAULT, cairn_core::purge::hour_of(r.stored_us)))
        .collect();
    plan.normalise();
    plan.seqs = seqs;
    plan.until = samples::N;
    let hourly = format!(
        "SELECT toUInt64(countMerge(statements)) FROM statements_hourly WHERE store = toUUID('{}')",
        StoreId::DEFAULT.0
    );
    let counted = count(&p, &hourly).await;
    p.purge_rows(&plan).await.unwrap();
    let closed = || None;
    assert!(p.purge_aggregates_within(&plan, &closed).await.is_err());
    assert_eq!(count(&p, &hourly).await, counted, "nothing rebuilt");
    let open = || Some(std::time::Duration::from_secs(30));
    p.purge_aggregates_within(&plan, &open).await.unwrap();
    assert_eq!(count(&p, &hourly).await, counted - plan.seqs.len() as u64);
    assert_aggregates_match(&p).await;
    common::cleanup(&p).await;
}
