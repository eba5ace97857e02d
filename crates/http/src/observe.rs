//! Observability of requests: HTTP metrics by route and status, the route and status recorded on
//! the request's span (which the server opens around the whole application, with the request
//! id), and the health endpoints.
use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Instant;
use tracing::Span;

/// The label of requests no route matched (one label, whatever their path).
const UNMATCHED: &str = "unmatched";

/// Records the route, then the request's count and latency by route and status. Runs after
/// routing (a router layer), where the matched route template is known: labels are the
/// template (`/api/v1/stores/{store}`), never the raw path.
pub async fn record(matched: Option<MatchedPath>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(req.method());
    let route = matched
        .as_ref()
        .map_or(UNMATCHED, |m| m.as_str())
        .to_owned();
    let span = Span::current();
    span.record("http.route", route.as_str());
    let mut res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    span.record("http.response.status_code", res.status().as_u16());
    let elapsed = started.elapsed().as_secs_f64();
    metrics::counter!("cairn_http_requests_total", "method" => method, "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("cairn_http_request_duration_seconds", "method" => method, "route" => route.clone())
        .record(elapsed);
    res.extensions_mut().insert(RouteLabel { method, route });
    res
}

/// What the router matched, left on the response for the layers outside it (which name the
/// request's span after it).
#[derive(Debug, Clone)]
pub struct RouteLabel {
    pub method: &'static str,
    /// The route template, or `unmatched`.
    pub route: String,
}

/// Methods outside the standard ones share one label (a client must not be able to mint series).
fn method_label(m: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// `GET /health/live`: the process answers.
pub async fn live() -> Response {
    axum::Json(serde_json::json!({ "status": "live" })).into_response()
}

/// `GET /health/ready`: 200 when every check passes, else 503; the body says which failed.
pub async fn ready(State(state): State<AppState>) -> Response {
    let Some(health) = &state.health else {
        return axum::Json(serde_json::json!({ "status": "ready" })).into_response();
    };
    let report = health.readiness().await;
    let status = if report.is_ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(report)).into_response()
}
