//! The analytics limits reach ClickHouse as settings of every analytics query, and a query
//! over one is told apart (not a 500): here `max_memory_usage` set far below what any
//! aggregate needs.
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
