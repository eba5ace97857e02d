//! Projection partitions on a real ClickHouse: the server puts every store in the partition
//! that `cairn_core` computes; a projection scoped to one partition discards, reconciles and
//! fences only that partition, keeping `statements_hourly` and `query_values` exact, also while
//! another partition's holder inserts.
mod common;

use cairn_clickhouse::{ClickHouseProjection, SEQ_TABLES, samples};
use cairn_core::projection_lease::partition::partition_of;
use cairn_core::{Projection, StatementRecord, StoreId};
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

const P: u32 = 4;

/// Two stores in each of the `P` partitions.
fn stores() -> Vec<StoreId> {
    let mut by = vec![vec![]; P as usize];
    while by.iter().any(|s: &Vec<StoreId>| s.len() < 2) {
        let s = StoreId(Uuid::new_v4());
        let k = partition_of(s, P) as usize;
        if by[k].len() < 2 {
            by[k].push(s);
        }
    }
    by.concat()
}

/// Statement `seq`, in one of `stores`, stored a minute after the previous one (so the rows
/// span several hours).
fn row(seq: u64, stores: &[StoreId]) -> (u64, Arc<StatementRecord>) {
    let mut r = samples::record(seq);
    r.store = stores[(seq * 7 % stores.len() as u64) as usize];
    r.stored_us = 1_764_000_000_000_000 + seq as i64 * 60_000_000;
    (seq, Arc::new(r))
}

fn rows(seqs: impl Iterator<Item = u64>, stores: &[StoreId]) -> Vec<(u64, Arc<StatementRecord>)> {
    seqs.map(|s| row(s, stores)).collect()
}

fn in_partition(rows: &[(u64, Arc<StatementRecord>)], k: u32) -> Vec<(u64, Arc<StatementRecord>)> {
    rows.iter()
        .filter(|(_, r)| partition_of(r.store, P) == k)
        .cloned()
        .collect()
}

async fn seqs(p: &ClickHouseProjection) -> Vec<u64> {
    p.client()
        .query("SELECT seq FROM statements ORDER BY seq")
        .fetch_all()
        .await
        .unwrap()
}

/// `statements_hourly` and `query_values` hold, store by store and period by period, exactly
/// the statements of `statements`.
async fn aggregates_exact(p: &ClickHouseProjection) {
    let pairs = |sql: &'static str| async move {
        p.client()
            .query(sql)
            .fetch_all::<(String, u32, u64)>()
            .await
            .expect(sql)
    };
    let raw = pairs(
        "SELECT toString(store) AS s, toUInt32(toStartOfHour(stored, 'UTC')) AS h, count() \
         FROM statements GROUP BY s, h ORDER BY s, h",
    )
    .await;
    let hourly = pairs(
        "SELECT toString(store) AS s, toUInt32(stored_hour) AS h, countMerge(statements) \
         FROM statements_hourly GROUP BY s, h ORDER BY s, h",
    )
    .await;
    assert_eq!(raw, hourly, "statements_hourly");
    let raw = pairs(
        "SELECT toString(store) AS s, toYYYYMM(stored) AS m, count() \
         FROM statements GROUP BY s, m ORDER BY s, m",
    )
    .await;
    let values = pairs(
        "SELECT toString(store) AS s, toYYYYMM(month) AS m, countMerge(statements) \
         FROM query_values WHERE path = '' GROUP BY s, m ORDER BY s, m",
    )
    .await;
    assert_eq!(raw, values, "query_values");
}

#[tokio::test]
async fn clickhouse_puts_every_store_in_cairns_partition() {
    let p = common::fresh_projection().await;
    let ids: Vec<StoreId> = (0..500).map(|_| StoreId(Uuid::new_v4())).collect();
    let list = ids
        .iter()
        .map(|s| format!("'{}'", s.0))
        .collect::<Vec<_>>()
        .join(",");
    for of in [1u32, 2, 4, 7] {
        let got: Vec<(String, u32)> = p
            .client()
            .query(&format!(
                "SELECT x, toUInt32(sipHash64(toString(toUUID(x))) % {of}) \
                 FROM (SELECT arrayJoin([{list}]) AS x)"
            ))
            .fetch_all()
            .await
            .unwrap();
        let want: Vec<(String, u32)> = ids
            .iter()
            .map(|s| (s.0.to_string(), partition_of(*s, of)))
            .collect();
        assert_eq!(got, want, "{of} partitions");
    }
    common::cleanup(&p).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_partitions_clean_up_removes_only_its_rows_and_keeps_the_aggregates_exact() {
    let p = common::fresh_projection().await;
    p.migrate().await.unwrap();
    let stores = stores();
    let all = rows(1..=400, &stores);
    p.insert(&all, &[]).await.unwrap();
    aggregates_exact(&p).await;

    let k = partition_of(stores[0], P);
    let pk = p.for_partition(k, P);
    pk.discard_after(200).await.unwrap();
    let want: Vec<u64> = all
        .iter()
        .filter(|(s, r)| *s <= 200 || partition_of(r.store, P) != k)
        .map(|(s, _)| *s)
        .collect();
    assert!(want.len() < all.len() && want.iter().any(|s| *s > 200));
    assert_eq!(
        seqs(&p).await,
        want,
        "only partition {k}'s rows past 200 went"
    );
    for (table, column) in SEQ_TABLES {
        let left: u64 = p
            .client()
            .query(&format!(
                "SELECT count() FROM {table} WHERE {column} > 200 \
                 AND sipHash64(toString(store)) % {P} = {k}"
            ))
            .fetch_one()
            .await
            .unwrap();
        assert_eq!(left, 0, "{table}");
    }
    aggregates_exact(&p).await;

    // The partition's holder writes its rows again: everything is back, once.
    pk.insert(&in_partition(&all[200..], k), &[]).await.unwrap();
    assert_eq!(seqs(&p).await, (1..=400).collect::<Vec<_>>());
    aggregates_exact(&p).await;

    // Reprojecting a partition from the start empties only that partition.
    let j = (k + 1) % P;
    p.for_partition(j, P).discard_after(0).await.unwrap();
    let want: Vec<u64> = all
        .iter()
        .filter(|(_, r)| partition_of(r.store, P) != j)
        .map(|(s, _)| *s)
        .collect();
    assert_eq!(seqs(&p).await, want);
    aggregates_exact(&p).await;
    common::cleanup(&p).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_partitions_clean_up_stays_exact_while_another_partition_inserts() {
    let p = common::fresh_projection().await;
    p.migrate().await.unwrap();
    let stores = stores();
    let k = partition_of(stores[0], P);
    let j = (k + 1) % P;
    let (pk, pj) = (p.for_partition(k, P), p.for_partition(j, P));
    let mine = in_partition(&rows(1..=1200, &stores), k);
    pk.insert(&mine, &[]).await.unwrap();
    // Partition j's holder inserts batches into the same hours meanwhile.
    let theirs = in_partition(&rows(1..=1200, &stores), j);
    let other = tokio::spawn(async move {
        for batch in theirs.chunks(10) {
            pj.insert(batch, &[]).await.unwrap();
        }
        theirs.len()
    });
    let half = mine.iter().position(|(s, _)| *s > 600).unwrap();
    let mut rounds = 0;
    while rounds == 0 || !other.is_finished() {
        pk.discard_after(600).await.unwrap();
        pk.insert(&mine[half..], &[]).await.unwrap();
        rounds += 1;
    }
    let inserted = other.await.unwrap();
    let got = seqs(&p).await;
    assert_eq!(got.len(), mine.len() + inserted, "after {rounds} clean-ups");
    aggregates_exact(&p).await;
    common::cleanup(&p).await;
}

/// A query that runs until it is stopped, under `query_id`.
fn endless(p: &ClickHouseProjection, query_id: String) -> tokio::task::JoinHandle<()> {
    let client = p.client().clone().with_setting("query_id", query_id);
    tokio::spawn(async move {
        let _ = client
            .query("SELECT count() FROM system.numbers")
            .fetch_one::<u64>()
            .await;
    })
}

async fn running(p: &ClickHouseProjection, query_id: &str) -> bool {
    p.client()
        .query("SELECT count() FROM system.processes WHERE query_id = ?")
        .bind(query_id)
        .fetch_one::<u64>()
        .await
        .unwrap()
        > 0
}

async fn wait_running(p: &ClickHouseProjection, query_id: &str) {
    let started = Instant::now();
    while !running(p, query_id).await {
        assert!(started.elapsed() < Duration::from_secs(20), "{query_id}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_partitions_fence_stops_only_that_partitions_writes() {
    let p = common::fresh_projection().await;
    p.migrate().await.unwrap();
    let (p1, p2) = (p.for_partition(1, 10), p.for_partition(1, 2));
    let p10 = p.for_partition(9, 10);
    let ids = [
        format!("{}a", p1.write_prefix()),
        format!("{}b", p2.write_prefix()),
        format!("{}c", p10.write_prefix()),
    ];
    assert!(ids[0].starts_with(&p.write_prefix()));
    let tasks: Vec<_> = ids.iter().map(|id| endless(&p, id.clone())).collect();
    for id in &ids {
        wait_running(&p, id).await;
    }
    p1.fence().await.unwrap();
    assert!(
        !running(&p, &ids[0]).await,
        "partition 1 of 10's write runs"
    );
    assert!(
        running(&p, &ids[1]).await,
        "partition 1 of 2's write stopped"
    );
    assert!(
        running(&p, &ids[2]).await,
        "partition 9 of 10's write stopped"
    );
    // The whole projection's fence (one partition) stops every write into the database.
    p.fence().await.unwrap();
    assert!(!running(&p, &ids[1]).await && !running(&p, &ids[2]).await);
    for t in tasks {
        tokio::time::timeout(Duration::from_secs(20), t)
            .await
            .expect("the stopped write's request ends")
            .unwrap();
    }
    common::cleanup(&p).await;
}
