//! The projection and analytics ports, measured: each call's latency by operation
//! (`cairn_clickhouse_request_duration_seconds{op}`) and its failures
//! (`cairn_clickhouse_errors_total{op}`), around whatever adapter serves them (ClickHouse).
use cairn_core::analytics::{
    AggregateQuery, AggregateResult, Analytics, AnalyticsError, ByteStream, ExportFormat,
    FunnelQuery, FunnelResult, StatementsQuery, ValueCount,
};
use cairn_core::{
    Page, PersonaLink, Projection, ProjectionError, Retraction, StatementQuery, StatementRecord,
    StoreId,
};
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

/// The `op` label of every measured operation.
pub const OPERATIONS: &[&str] = &[
    "migrate",
    "ping",
    "insert",
    "link_personas",
    "discard_after",
    "fence",
    "query_statements",
    "aggregate",
    "export",
    "values",
    "funnel",
];

/// Wraps an adapter implementing [`Projection`] and [`Analytics`].
pub struct Measured<T>(pub Arc<T>);

/// Whether an error came from the server (as opposed to a request the adapter refused).
trait ServerError {
    fn is_server_error(&self) -> bool;
}

impl ServerError for ProjectionError {
    fn is_server_error(&self) -> bool {
        true
    }
}

impl ServerError for AnalyticsError {
    fn is_server_error(&self) -> bool {
        matches!(self, AnalyticsError::Projection(_))
    }
}

async fn measure<R, E: ServerError>(
    op: &'static str,
    call: impl Future<Output = Result<R, E>>,
) -> Result<R, E> {
    let started = Instant::now();
    let out = call.await;
    metrics::histogram!("cairn_clickhouse_request_duration_seconds", "op" => op)
        .record(started.elapsed().as_secs_f64());
    if let Err(e) = &out
        && e.is_server_error()
    {
        metrics::counter!("cairn_clickhouse_errors_total", "op" => op).increment(1);
    }
    out
}

#[async_trait::async_trait]
impl<T: Projection> Projection for Measured<T> {
    async fn migrate(&self) -> Result<(), ProjectionError> {
        measure("migrate", self.0.migrate()).await
    }

    async fn ping(&self) -> Result<(), ProjectionError> {
        measure("ping", self.0.ping()).await
    }

    async fn insert(
        &self,
        rows: &[(u64, Arc<StatementRecord>)],
        retractions: &[Retraction],
    ) -> Result<(), ProjectionError> {
        measure("insert", self.0.insert(rows, retractions)).await
    }

    async fn link_personas(&self, links: &[PersonaLink]) -> Result<(), ProjectionError> {
        measure("link_personas", self.0.link_personas(links)).await
    }

    async fn fence(&self) -> Result<(), ProjectionError> {
        measure("fence", self.0.fence()).await
    }

    async fn discard_after(&self, seq: u64) -> Result<(), ProjectionError> {
        measure("discard_after", self.0.discard_after(seq)).await
    }

    async fn purge_rows(&self, plan: &cairn_core::purge::PurgePlan) -> Result<(), ProjectionError> {
        measure("purge_rows", self.0.purge_rows(plan)).await
    }

    async fn purge_aggregates(
        &self,
        plan: &cairn_core::purge::PurgePlan,
    ) -> Result<(), ProjectionError> {
        measure("purge_aggregates", self.0.purge_aggregates(plan)).await
    }

    async fn purge_aggregates_within(
        &self,
        plan: &cairn_core::purge::PurgePlan,
        window: &cairn_core::ports::WriteWindow,
    ) -> Result<(), ProjectionError> {
        measure(
            "purge_aggregates",
            self.0.purge_aggregates_within(plan, window),
        )
        .await
    }

    async fn query_seqs(
        &self,
        query: &StatementQuery,
        page: &Page,
    ) -> Result<Vec<u64>, ProjectionError> {
        measure("query_statements", self.0.query_seqs(query, page)).await
    }
}

#[async_trait::async_trait]
impl<T: Analytics> Analytics for Measured<T> {
    async fn aggregate(&self, q: &AggregateQuery) -> Result<AggregateResult, AnalyticsError> {
        measure("aggregate", self.0.aggregate(q)).await
    }

    /// Measured until the stream starts (the rows then flow to the client at its pace).
    async fn export(
        &self,
        q: &StatementsQuery,
        format: ExportFormat,
    ) -> Result<ByteStream, AnalyticsError> {
        measure("export", self.0.export(q, format)).await
    }

    async fn values(
        &self,
        store: StoreId,
        path: &str,
        prefix: &str,
        limit: u64,
    ) -> Result<Vec<ValueCount>, AnalyticsError> {
        measure("values", self.0.values(store, path, prefix, limit)).await
    }

    async fn funnel(&self, q: &FunnelQuery) -> Result<FunnelResult, AnalyticsError> {
        measure("funnel", self.0.funnel(q)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// Counts the fences it is asked for.
    #[derive(Default)]
    struct Fences(AtomicU32);

    #[async_trait::async_trait]
    impl Projection for Fences {
        async fn migrate(&self) -> Result<(), ProjectionError> {
            Ok(())
        }
        async fn ping(&self) -> Result<(), ProjectionError> {
            Ok(())
        }
        async fn insert(
            &self,
            _: &[(u64, Arc<StatementRecord>)],
            _: &[Retraction],
        ) -> Result<(), ProjectionError> {
            Ok(())
        }
        async fn link_personas(&self, _: &[PersonaLink]) -> Result<(), ProjectionError> {
            Ok(())
        }
        async fn discard_after(&self, _: u64) -> Result<(), ProjectionError> {
            Ok(())
        }
        async fn fence(&self) -> Result<(), ProjectionError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
        async fn query_seqs(
            &self,
            _: &StatementQuery,
            _: &Page,
        ) -> Result<Vec<u64>, ProjectionError> {
            Ok(Vec::new())
        }
    }

    /// The projector's clean-up stops the writes still running through this wrapper (it used
    /// to answer the trait's default, doing nothing, so the server never fenced).
    #[tokio::test]
    async fn the_fence_reaches_the_adapter() {
        let inner = Arc::new(Fences::default());
        Measured(inner.clone()).fence().await.unwrap();
        assert_eq!(inner.0.load(Ordering::SeqCst), 1);
    }
}
