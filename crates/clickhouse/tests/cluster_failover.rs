//! Cluster mode on a private cluster of two servers (one shard each): the second server is
//! killed (SIGKILL) while batches of statements are inserted through the first, and started
//! again. Inserting each batch until it succeeds, as the projector does, leaves every statement
//! in the projection exactly once, in `statements` and in the tables the views fill.
use cairn_clickhouse::{ClickHouseConfig, ClickHouseProjection, samples};
use cairn_core::{Projection, StatementRecord, StoreId};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const BATCH: u64 = 100;
const BATCHES: u64 = 40;
const STORES: u128 = 8;

async fn count(p: &ClickHouseProjection, sql: &str) -> u64 {
    p.client().query(sql).fetch_one::<u64>().await.expect(sql)
}

/// Statement `seq` of the data set, in one of eight stores (so both shards get rows), voiding
/// nothing.
fn record(seq: u64) -> (u64, Arc<StatementRecord>) {
    let mut r = samples::record(seq);
    r.store = StoreId(uuid::Uuid::from_u128(1 + u128::from(seq) % STORES));
    r.voids = None;
    (seq, Arc::new(r))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_under_inserts_leaves_every_statement_once() {
    let cluster = Arc::new(cairn_testkit::PrivateCluster::start(2));
    let cfg = ClickHouseConfig {
        url: cluster.url(1),
        database: "cairn_failover".into(),
        cluster: Some("cairn".into()),
        mutation_timeout: Duration::from_secs(120),
        ..Default::default()
    };
    // `start` returns once every server runs distributed DDL; a busy machine may still be slow
    // to accept the first connections: try for up to 60 s.
    let started = Instant::now();
    let p = loop {
        match ClickHouseProjection::connect(cfg.clone()).await {
            Ok(p) => break p,
            Err(e) if started.elapsed() < Duration::from_secs(60) => {
                eprintln!("connect: {e}; again");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => panic!("connect: {e}"),
        }
    };
    p.migrate().await.expect("migrate");
    let records: Vec<_> = (1..=BATCH * BATCHES).map(record).collect();
    let done = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(AtomicU64::new(0));
    let writer = {
        let (p, done, failures) = (p.clone(), done.clone(), failures.clone());
        let records = records.clone();
        tokio::spawn(async move {
            for batch in records.chunks(BATCH as usize) {
                let started = Instant::now();
                // As the projector does: the same batch again after a pause, until it is in.
                while let Err(e) = p.insert(batch, &[]).await {
                    failures.fetch_add(1, Ordering::Relaxed);
                    assert!(
                        started.elapsed() < Duration::from_secs(240),
                        "a batch still failing after 240 s: {e}"
                    );
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    while done.load(Ordering::Relaxed) < 5 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let at_kill = done.load(Ordering::Relaxed);
    let c = cluster.clone();
    tokio::task::spawn_blocking(move || c.kill(2))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let c = cluster.clone();
    tokio::task::spawn_blocking(move || c.restart(2))
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(600), writer)
        .await
        .expect("the inserts finish once the server is back")
        .unwrap();
    assert!(
        at_kill < BATCHES,
        "the server was killed before the last batch"
    );
    assert!(
        failures.load(Ordering::Relaxed) > 0,
        "inserts failed while the server was down"
    );

    let n = BATCH * BATCHES;
    // Every statement once: no row lost, none written twice (no merge collapses them here).
    assert_eq!(count(&p, "SELECT count() FROM statements").await, n);
    assert_eq!(count(&p, "SELECT uniqExact(seq) FROM statements").await, n);
    assert_eq!(count(&p, "SELECT max(seq) FROM statements").await, n);
    assert_eq!(count(&p, "SELECT count() FROM actor_hours").await, n);
    // The aggregates are exact right after the inserts, without a repair: the rows a failed
    // batch left on a shard were deleted (and checked gone) before the views' tables were
    // rebuilt and the batch written again.
    let hourly = "SELECT toUInt64(countMerge(statements)) FROM statements_hourly";
    assert_eq!(count(&p, hourly).await, n, "statements_hourly");
    let values = "SELECT toUInt64(countMerge(statements)) FROM query_values WHERE path = ''";
    assert_eq!(count(&p, values).await, n, "query_values");
    let keys = "SELECT toUInt64(count()) FROM statements ARRAY JOIN agents AS k";
    let indexed = "SELECT count() FROM statement_key_index WHERE kind = 'agent' AND direct = 1";
    assert_eq!(count(&p, indexed).await, count(&p, keys).await);
    // Each store's statements, through the filtered read, are its own and all of them.
    for s in 0..STORES {
        let store = StoreId(uuid::Uuid::from_u128(1 + s));
        let page = cairn_core::Page {
            max_seq: u64::MAX,
            after: None,
            limit: 10_000,
        };
        let mut q = cairn_core::StatementQuery::new(store);
        q.ascending = true;
        let got = p.query_seqs(&q, &page).await.unwrap();
        let want: Vec<u64> = records
            .iter()
            .filter(|(_, r)| r.store == store)
            .map(|(seq, _)| *seq)
            .collect();
        assert_eq!(got, want, "store {s}");
    }
    // Both shards hold rows, and together all of them.
    let mut local = Vec::new();
    for i in 1..=2 {
        let server = clickhouse::Client::default()
            .with_url(cluster.url(i))
            .with_database("cairn_failover")
            .with_validation(false);
        let sql = "SELECT count() FROM statements_local";
        local.push(server.query(sql).fetch_one::<u64>().await.expect(sql));
    }
    assert!(local.iter().all(|n| *n > 0), "{local:?}");
    assert_eq!(local.iter().sum::<u64>(), n);
    p.client()
        .query("DROP DATABASE IF EXISTS cairn_failover ON CLUSTER cairn")
        .execute()
        .await
        .unwrap();
}
