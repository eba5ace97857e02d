//! Test harness: a real ClickHouse for the integration tests, and one fresh database per test.
//!
//! With `CAIRN_TEST_CLICKHOUSE_URL` set, tests use that server. Otherwise the first test starts a
//! private server with `scripts/clickhouse.sh` on a free loopback port in a temporary directory,
//! and a watchdog stops it (and removes the directory) once the test process exits.
use cairn_clickhouse::{ClickHouseConfig, ClickHouseProjection};

pub fn server_url() -> &'static str {
    cairn_testkit::server_url()
}

/// A projection on a database of its own, not yet migrated.
pub async fn fresh_projection() -> ClickHouseProjection {
    let cfg = ClickHouseConfig {
        url: server_url().to_string(),
        database: format!("cairn_test_{}", uuid::Uuid::new_v4().simple()),
        cluster: cairn_testkit::cluster(),
        ..Default::default()
    };
    ClickHouseProjection::connect(cfg).await.expect("connect")
}

/// Drops the test's database (matters when the server is shared through the environment).
/// On a cluster it first waits (up to 30 s) for the database's mutations to be done: ClickHouse
/// 18.16 can crash (a segmentation fault in `ReplicatedMergeTreeQueue::tryFinalizeMutations`)
/// when a replicated table is dropped while one of its mutations is being finalized.
pub async fn cleanup(p: &ClickHouseProjection) {
    let on = cairn_testkit::cluster()
        .map(|c| format!(" ON CLUSTER {c}"))
        .unwrap_or_default();
    if !on.is_empty() {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while std::time::Instant::now() < deadline {
            let pending: u64 = p
                .client()
                .query("SELECT count() FROM system.mutations WHERE database = ? AND is_done = 0")
                .bind(p.database())
                .fetch_one()
                .await
                .unwrap_or(0);
            if pending == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
    p.client()
        .query(&format!("DROP DATABASE IF EXISTS ?{on}"))
        .bind(clickhouse::sql::Identifier(p.database()))
        .execute()
        .await
        .expect("drop test database");
}
