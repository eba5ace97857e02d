//! Prometheus metrics: the process-wide recorder of the `metrics` facade (every crate records
//! through it), and the listener serving `GET /metrics` on `metrics_addr`, apart from the API so
//! that it can stay on a private network. Gauges of the projection's progress are read at each
//! scrape.
use cairn_core::health::Health;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;
use tokio::sync::watch;

/// Latency buckets, in seconds: from half a millisecond to half a minute.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Requests per group commit: powers of two up to past `writer_max_group`'s default.
const GROUP_BUCKETS: &[f64] = &[
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0, 4096.0,
];

/// The recorder, installed once per process (every server of a process shares it).
pub fn handle() -> Result<&'static PrometheusHandle, String> {
    static HANDLE: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let handle = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full("cairn_writer_group_requests".into()),
                        GROUP_BUCKETS,
                    )
                })
                .and_then(|b| b.install_recorder())
                .map_err(|e| format!("metrics recorder: {e}"))?;
            describe();
            Ok(handle)
        })
        .as_ref()
        .map_err(Clone::clone)
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "cairn_http_requests_total",
        "HTTP requests answered, by method, route template and status"
    );
    describe_histogram!(
        "cairn_http_request_duration_seconds",
        "Time to answer an HTTP request (until the response head), by method and route"
    );
    describe_histogram!(
        "cairn_writer_group_requests",
        "Write requests committed together in one group commit (one fsync)"
    );
    describe_histogram!(
        "cairn_writer_commit_seconds",
        "Time to commit one group durably to the embedded store"
    );
    describe_histogram!(
        "cairn_writer_replicated_append_seconds",
        "Cluster mode: time to append one group to the replicated log (until a quorum has it)"
    );
    describe_counter!(
        "cairn_writer_replicated_retries_total",
        "Cluster mode: groups decided again because another node appended first"
    );
    describe_gauge!(
        "cairn_projection_lease_held",
        "Shared database: 1 on the node that holds the projection lease (it projects), else 0"
    );
    describe_counter!(
        "cairn_projection_lease_acquired_total",
        "Shared database: times this node started holding the projection lease"
    );
    describe_gauge!(
        "cairn_forwarding_lease_held",
        "Cluster mode: 1 on the node that holds the forwarding lease (it runs the forwarders), else 0"
    );
    describe_counter!(
        "cairn_forwarding_lease_acquired_total",
        "Cluster mode: times this node started holding the forwarding lease"
    );
    describe_gauge!(
        "cairn_projection_lag_statements",
        "Statements committed to the log and not yet in ClickHouse (the in-memory tail)"
    );
    describe_gauge!(
        "cairn_projection_lag_seconds",
        "How long the oldest unprojected statement has waited (0 when none waits)"
    );
    describe_gauge!(
        "cairn_log_sequence",
        "Sequence number of the last event committed to the log"
    );
    describe_gauge!(
        "cairn_projection_checkpoint",
        "Sequence number up to which the log is projected into ClickHouse"
    );
    describe_gauge!(
        "cairn_store_failed",
        "1 once the embedded store refused a write (the process then exits)"
    );
    describe_histogram!(
        "cairn_clickhouse_request_duration_seconds",
        "Time of a ClickHouse operation (insert, query, analytics), by operation"
    );
    describe_counter!(
        "cairn_clickhouse_errors_total",
        "ClickHouse operations that failed, by operation"
    );
    describe_counter!(
        "cairn_statement_cache_lookups_total",
        "Lookups of single statements in the hot cache, by result (hit or miss)"
    );
    describe_counter!(
        "cairn_rate_limited_total",
        "Requests refused with 429 by a rate limit, by limit (client, user, login, \
         auth_failures_key, auth_failures_address)"
    );
    // Counters that may stay at zero for long are exported from the start, so that rates and
    // alerts on them see 0 rather than no data.
    for limit in cairn_http::limits::LIMIT_NAMES {
        metrics::counter!("cairn_rate_limited_total", "limit" => *limit).absolute(0);
    }
    for op in crate::measured::OPERATIONS {
        metrics::counter!("cairn_clickhouse_errors_total", "op" => *op).absolute(0);
    }
}

/// Sets the gauges read from the running node.
fn sample(health: &Health) {
    let lag = health.lag();
    let (head, checkpoint) = health.log_position();
    metrics::gauge!("cairn_projection_lag_statements").set(lag.statements as f64);
    metrics::gauge!("cairn_projection_lag_seconds").set(lag.seconds);
    metrics::gauge!("cairn_log_sequence").set(head as f64);
    metrics::gauge!("cairn_projection_checkpoint").set(checkpoint as f64);
    metrics::gauge!("cairn_store_failed")
        .set(f64::from(u8::from(health.store_failure().is_some())));
}

/// Serves `GET /metrics` on `addr` until `shutdown` flips; returns the bound address.
pub async fn serve(
    addr: SocketAddr,
    health: Health,
    mut shutdown: watch::Receiver<bool>,
) -> anyhow::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    use anyhow::Context;
    let handle = handle().map_err(anyhow::Error::msg)?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on metrics_addr {addr}"))?;
    let bound = listener.local_addr()?;
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let health = health.clone();
            async move {
                sample(&health);
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    handle.render(),
                )
            }
        }),
    );
    let task = tokio::spawn(async move {
        // Histograms and summaries need periodic upkeep to bound their memory.
        let mut upkeep = tokio::time::interval(Duration::from_secs(5));
        let serving = std::future::IntoFuture::into_future(
            axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = shutdown.wait_for(|s| *s).await;
            }),
        );
        tokio::pin!(serving);
        loop {
            tokio::select! {
                r = &mut serving => {
                    if let Err(e) = r {
                        tracing::error!(error = %e, "metrics listener failed");
                    }
                    return;
                }
                _ = upkeep.tick() => handle.run_upkeep(),
            }
        }
    });
    Ok((bound, task))
}
