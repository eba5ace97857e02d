//! `Projection::fence`: a write into the database that ClickHouse still runs (abandoned by its
//! client after a timeout, or sent by a node that has since died) is stopped before the
//! projector cleans up, so it cannot land after the clean-up. Writes into other databases go on.
mod common;

use cairn_core::Projection;
use std::time::{Duration, Instant};

/// A query that runs until it is stopped, under `query_id`.
fn endless(
    p: &cairn_clickhouse::ClickHouseProjection,
    query_id: &str,
) -> tokio::task::JoinHandle<()> {
    let client = p
        .client()
        .clone()
        .with_setting("query_id", query_id.to_owned());
    tokio::spawn(async move {
        let _ = client
            .query("SELECT count() FROM system.numbers")
            .fetch_one::<u64>()
            .await;
    })
}

async fn running(p: &cairn_clickhouse::ClickHouseProjection, query_id: &str) -> bool {
    p.client()
        .query("SELECT count() FROM system.processes WHERE query_id = ?")
        .bind(query_id)
        .fetch_one::<u64>()
        .await
        .unwrap()
        > 0
}

async fn wait_running(p: &cairn_clickhouse::ClickHouseProjection, query_id: &str) {
    let started = Instant::now();
    while !running(p, query_id).await {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{query_id} never started"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn fencing_stops_the_writes_still_running_on_this_database_only() {
    let p = common::fresh_projection().await;
    p.migrate().await.unwrap();
    let other = common::fresh_projection().await;
    let ours = format!("cairn-write-{}-abandoned", p.database());
    let theirs = format!("cairn-write-{}-other", other.database());
    let a = endless(&p, &ours);
    let b = endless(&p, &theirs);
    wait_running(&p, &ours).await;
    wait_running(&p, &theirs).await;

    p.fence().await.unwrap();
    // Answered only once the write has stopped.
    assert!(!running(&p, &ours).await, "the abandoned write still runs");
    tokio::time::timeout(Duration::from_secs(20), a)
        .await
        .expect("the stopped write's request ends")
        .unwrap();
    assert!(
        running(&p, &theirs).await,
        "another database's write was stopped"
    );

    other.fence().await.unwrap();
    tokio::time::timeout(Duration::from_secs(20), b)
        .await
        .expect("the other write's request ends")
        .unwrap();
    common::cleanup(&p).await;
}
