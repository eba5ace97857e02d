//! The analytics limits reach ClickHouse as settings of every analytics query, and a query
//! over one is told apart (not a 500): here `max_memory_usage` set far below what any
//! aggregate needs, and `max_execution_time` against a query that never ends on its own.
#[allow(dead_code)]
mod common;

use cairn_clickhouse::{ClickHouseConfig, ClickHouseProjection, samples};
use cairn_core::Projection;
use cairn_core::analytics::{AggregateQuery, Analytics, AnalyticsError};
use cairn_core::ports::ProjectionErrorKind;

#[tokio::test]
async fn an_aggregate_over_the_memory_limit_is_refused_as_too_large() {
    let cfg = ClickHouseConfig {
        url: common::server_url().to_string(),
        database: format!("cairn_test_{}", uuid::Uuid::new_v4().simple()),
        analytics_max_memory_bytes: 1,
        cluster: cairn_testkit::cluster(),
        ..Default::default()
    };
    let p = ClickHouseProjection::connect(cfg).await.unwrap();
    p.migrate().await.unwrap();
    let records = samples::records();
    p.insert(&records, &samples::retractions(&records))
        .await
        .expect("inserts are not analytics queries: no limit");
    let q = AggregateQuery::parse(
        cairn_core::StoreId::DEFAULT,
        &serde_json::json!({"group_by": ["verb"], "source": "raw"}),
    )
    .expect("valid aggregate");
    match p.aggregate(&q).await {
        Err(AnalyticsError::Projection(e)) => {
            assert_eq!(e.kind, ProjectionErrorKind::TooLarge, "{e}");
            let api: cairn_core::Error = e.into();
            assert!(
                matches!(api, cairn_core::Error::BadRequest(ref m) if m.contains("analytics_max_memory_mb")),
                "{api:?}"
            );
        }
        other => panic!("expected a memory-limit error, got {other:?}"),
    }
    common::cleanup(&p).await;
}

#[tokio::test]
async fn an_analytics_query_over_the_time_limit_is_stopped_and_told_apart() {
    let cfg = ClickHouseConfig {
        url: common::server_url().to_string(),
        database: format!("cairn_test_{}", uuid::Uuid::new_v4().simple()),
        analytics_max_execution: std::time::Duration::from_secs(1),
        cluster: cairn_testkit::cluster(),
        ..Default::default()
    };
    let p = ClickHouseProjection::connect(cfg).await.unwrap();
    // Counting an endless table never finishes unless the limit stops it.
    let started = std::time::Instant::now();
    let out = p
        .analytics_client()
        .query("SELECT count() FROM system.numbers")
        .fetch_one::<u64>()
        .await;
    let elapsed = started.elapsed();
    let e = out.expect_err("an endless count must be stopped by max_execution_time");
    assert_eq!(
        cairn_clickhouse::kind_of(&e),
        ProjectionErrorKind::TooSlow,
        "{e}"
    );
    assert!(
        elapsed < std::time::Duration::from_secs(30),
        "stopped after {elapsed:?}"
    );
    let api: cairn_core::Error =
        cairn_core::ports::ProjectionError::of(cairn_clickhouse::kind_of(&e), e.to_string()).into();
    assert!(
        matches!(api, cairn_core::Error::Unavailable(..)),
        "a timed-out analytics query answers 503: {api:?}"
    );
    common::cleanup(&p).await;
}
