//! Logs and traces: the log subscriber (text or JSON lines on stderr, filtered by `log`), the
//! OpenTelemetry export of spans over OTLP/HTTP or HTTPS when `otlp_endpoint` is set (sampled by
//! `trace_sample_ratio`; `otlp_ca_file` for a private CA), and the layers that give every request
//! an id and a span.
use crate::config::{Config, LogFormat};
use axum::extract::Request;
use axum::http::HeaderName;
use axum::response::{IntoResponse, Response};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use std::path::Path;
use std::time::Duration;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::Span;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Targets kept at `warn` unless the filter names them: the embedded storage engine logs every
/// flush and compaction at `info`.
const QUIET_TARGETS: &[&str] = &["fjall", "lsm_tree"];

/// The log filter: `log` plus `warn` for the storage engine, unless `log` names it itself.
pub fn log_filter(log: &str) -> Result<EnvFilter, String> {
    let mut directives = log.trim().to_owned();
    for target in QUIET_TARGETS {
        if !log.contains(target) {
            if !directives.is_empty() {
                directives.push(',');
            }
            directives.push_str(target);
            directives.push_str("=warn");
        }
    }
    EnvFilter::try_new(&directives).map_err(|e| format!("log filter {log:?}: {e}"))
}

/// What must be flushed before the process exits.
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Sends the spans still buffered and stops the exporter (blocking: call off the runtime).
    pub fn shutdown(self) {
        if let Some(p) = self.provider
            && let Err(e) = p.shutdown()
        {
            eprintln!("cairn: flushing traces: {e}");
        }
    }
}

/// How long one export request may take.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// The exporter's HTTP client: rustls (ring) trusting the public web roots and, with `ca_file`,
/// the certificates of that PEM file (a private CA). Plain `http://` endpoints use it too.
fn otlp_client(ca_file: Option<&Path>) -> Result<reqwest_otlp::blocking::Client, String> {
    let extra = match ca_file {
        Some(path) => crate::tls::pem_certificates("otlp_ca_file", path)?,
        None => Vec::new(),
    };
    let tls = crate::tls::client_config(extra)?;
    // A blocking client owns a runtime, which cannot be built (or dropped) on an async worker:
    // build it on a thread of its own, as the exporter's default client is.
    std::thread::spawn(move || {
        reqwest_otlp::blocking::Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(EXPORT_TIMEOUT)
            .build()
    })
    .join()
    .map_err(|_| "building the OTLP HTTP client panicked".to_owned())?
    .map_err(|e| format!("the OTLP HTTP client: {e}"))
}

/// The OTLP trace pipeline: batches of spans sent to `{endpoint}/v1/traces` as protobuf.
fn tracer_provider(
    endpoint: &str,
    ca_file: Option<&Path>,
    ratio: f64,
) -> Result<SdkTracerProvider, String> {
    let url = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(otlp_client(ca_file)?)
        .with_endpoint(url)
        .with_timeout(EXPORT_TIMEOUT)
        .build()
        .map_err(|e| format!("otlp_endpoint {endpoint:?}: {e}"))?;
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name("cairn")
        .build();
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
            ratio,
        ))))
        .with_resource(resource)
        .build())
}

/// Installs the global log subscriber (and the trace export when configured). Logs go to stderr,
/// so that commands printing results on stdout can be piped.
pub fn init(cfg: &Config) -> Result<Telemetry, String> {
    let filter = log_filter(&cfg.log)?;
    // Colours only on a terminal: a file or a log collector gets plain text.
    let colours = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(colours);
    let fmt = match cfg.log_format {
        LogFormat::Text => fmt.boxed(),
        LogFormat::Json => fmt
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .boxed(),
    };
    let provider = match &cfg.otlp_endpoint {
        Some(endpoint) => Some(tracer_provider(
            endpoint,
            cfg.otlp_ca_file.as_deref(),
            cfg.trace_sample_ratio,
        )?),
        None => None,
    };
    let otel = provider.as_ref().map(|p| {
        opentelemetry::global::set_text_map_propagator(
            opentelemetry_sdk::propagation::TraceContextPropagator::new(),
        );
        tracing_opentelemetry::layer().with_tracer(p.tracer("cairn"))
    });
    tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(otel)
        .try_init()
        .map_err(|e| format!("log subscriber: {e}"))?;
    Ok(Telemetry { provider })
}

/// The span of one request; the router fills in `http.route` and the status. A
/// `traceparent` header makes it a child of the caller's span.
fn request_span(req: &Request) -> Span {
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let span = tracing::info_span!(
        "request",
        otel.kind = "server",
        http.request.method = %req.method(),
        url.path = req.uri().path(),
        http.route = tracing::field::Empty,
        http.response.status_code = tracing::field::Empty,
        request_id,
    );
    if req.headers().contains_key("traceparent") {
        use tracing_opentelemetry::OpenTelemetrySpanExt;
        let carrier = opentelemetry_http::HeaderExtractor(req.headers());
        let parent = opentelemetry::global::get_text_map_propagator(|p| p.extract(&carrier));
        // Without the OpenTelemetry layer (tracing off) there is no trace to join.
        let _ = span.set_parent(parent);
    }
    span
}

/// One log line per answered request, inside its span (method, route, request id); health
/// probes only at `debug`. The span takes the name of its route (`POST /xapi/statements`).
fn log_response(res: &Response, latency: Duration, span: &Span) {
    let label = res.extensions().get::<cairn_http::observe::RouteLabel>();
    if let Some(label) = label {
        use opentelemetry::trace::TraceContextExt;
        use tracing_opentelemetry::OpenTelemetrySpanExt;
        let cx = span.context();
        if cx.has_active_span() {
            cx.span()
                .update_name(format!("{} {}", label.method, label.route));
        }
    }
    let status = res.status().as_u16();
    let latency_ms = latency.as_secs_f64() * 1e3;
    if label.is_some_and(|l| l.route.starts_with("/health")) {
        tracing::debug!(target: "cairn::request", status, latency_ms, "answered");
    } else {
        tracing::info!(target: "cairn::request", status, latency_ms, "answered");
    }
}

/// Wraps the application in the request-id and request-span layers (outermost first: the id is
/// set before the span reads it, and copied onto the response).
pub fn request_layers<S>(
    inner: S,
) -> impl tower::Service<
    Request,
    Response = Response,
    Error = std::convert::Infallible,
    Future = impl Send,
> + Clone
+ Send
+ 'static
where
    S: tower::Service<Request, Response = Response, Error = std::convert::Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    tower::ServiceBuilder::new()
        .map_response(IntoResponse::into_response)
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(log_response)
                .on_body_chunk(())
                .on_eos(())
                .on_failure(()),
        )
        .service(inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn logged(log: &str, emit: impl FnOnce()) -> String {
        let buf = Buf::default();
        let writer = buf.clone();
        let subscriber = tracing_subscriber::registry()
            .with(log_filter(log).unwrap())
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(move || writer.clone())
                    .with_ansi(false),
            );
        tracing::subscriber::with_default(subscriber, emit);
        String::from_utf8(buf.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn the_storage_engine_is_quiet_at_the_default_level() {
        let out = logged("info", || {
            tracing::info!(target: "fjall::worker_pool", "flushed memtable");
            tracing::info!(target: "lsm_tree::tree", "compaction");
            tracing::warn!(target: "fjall::db", "journal trouble");
            tracing::info!(target: "cairn_server::app", "serving");
        });
        assert!(
            !out.contains("flushed memtable") && !out.contains("compaction"),
            "{out}"
        );
        assert!(
            out.contains("journal trouble") && out.contains("serving"),
            "{out}"
        );
        let out = logged("info,fjall=info", || {
            tracing::info!(target: "fjall::worker_pool", "flushed memtable");
        });
        assert!(
            out.contains("flushed memtable"),
            "named targets are the operator's: {out}"
        );
        assert!(log_filter("info,=[").is_err());
    }
}
