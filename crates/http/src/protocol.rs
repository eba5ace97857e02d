//! Protocol rules shared by the xAPI resources: the version header, CORS and the
//! consistent-through header.
use crate::AppState;
use crate::error::ApiError;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cairn_xapi::XapiVersion;
use tower_http::cors::{AllowOrigin, CorsLayer};

pub const VERSION_HEADER: &str = "x-experience-api-version";
pub const CONSISTENT_THROUGH: &str = "x-experience-api-consistent-through";

/// Requires a supported `X-Experience-API-Version`, stores it in the request's extensions and
/// echoes it on the response. A refusal carries the version the same credentials last used (a
/// client that forgot the header learns the version it speaks), else the configured default.
pub async fn require_version(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    if req.method() == Method::OPTIONS {
        return next.run(req).await;
    }
    let header = req
        .headers()
        .get(VERSION_HEADER)
        .and_then(|v| v.to_str().ok());
    let credentials = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.as_bytes().to_vec());
    let refuse = |msg: String| {
        let mut res = ApiError::bad_request(msg).into_response();
        let spoken = credentials
            .as_ref()
            .and_then(|c| state.versions.get(c))
            .unwrap_or(state.config.default_version);
        res.headers_mut()
            .insert(VERSION_HEADER, HeaderValue::from_static(spoken.as_str()));
        res
    };
    let version = match header {
        None => return refuse("the X-Experience-API-Version header is required".into()),
        Some(v) => match XapiVersion::from_header(v) {
            Some(v) => v,
            None => {
                return refuse(format!(
                    "X-Experience-API-Version {v:?} is not supported (use 1.0.x or 2.0.x)"
                ));
            }
        },
    };
    if let Some(c) = credentials.filter(|c| state.versions.get(c) != Some(version)) {
        state.versions.insert(c, version);
    }
    req.extensions_mut().insert(version);
    let mut res = next.run(req).await;
    res.headers_mut()
        .insert(VERSION_HEADER, HeaderValue::from_static(version.as_str()));
    res
}

/// Adds `X-Experience-API-Consistent-Through` to every statements response, errors included.
pub async fn consistent_through(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let mut res = next.run(req).await;
    let us = state.statements.consistent_through_us().max(0);
    let value = cairn_core::time_fmt::format_us(us);
    if let Ok(v) = HeaderValue::from_str(&value) {
        res.headers_mut().insert(CONSISTENT_THROUGH, v);
    }
    res
}

/// Browser-based content posts statements from other origins.
pub fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_credentials(true)
        .allow_methods([
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            HeaderName::from_static(VERSION_HEADER),
        ])
        .expose_headers([
            header::ETAG,
            header::LAST_MODIFIED,
            HeaderName::from_static(VERSION_HEADER),
            HeaderName::from_static(CONSISTENT_THROUGH),
        ])
}
