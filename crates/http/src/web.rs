//! Serving the web app: the built files of `web_dir` at `/`, with `index.html` for the app's
//! own routes (never for `/api` or `/xapi`, which keep their JSON 404). The share pages
//! `/s/{link}` and `/embed/{link}` are `index.html` with `Content-Security-Policy:
//! frame-ancestors` from the link, refused with a small HTML page when the link may not be shown
//! (revoked, expired, shared with nobody, or embedded by a site the link does not list).
use crate::AppState;
use crate::error::no_route;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cairn_core::Error;
use cairn_core::dashboards::shared;
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

const NOT_BUILT: &str = "The Cairn web app is not built.\n\n\
Build it with:\n\n    cd dashboards && npm ci && npm run build\n\n\
or point the `web_dir` setting at a built copy. The APIs are served at /xapi and /api/v1.\n";

fn not_built() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        NOT_BUILT,
    )
        .into_response()
}

pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A small HTML error page.
fn error_page(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Cairn</title>\
         <style>body{{font-family:system-ui,sans-serif;margin:3rem;color:#333}}</style></head>\
         <body><h1>{}</h1><p>{}</p></body></html>",
        status.as_u16(),
        escape(message)
    );
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

fn is_api(path: &str) -> bool {
    ["/api", "/xapi"]
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")))
}

/// Everything no route claims: the web app's files, else `index.html` (client routes).
pub async fn fallback(State(state): State<AppState>, req: Request) -> Response {
    let path = req.uri().path();
    if is_api(path) || !matches!(*req.method(), Method::GET | Method::HEAD) {
        return no_route();
    }
    let Some(dir) = state.config.web_dir.clone() else {
        return no_route();
    };
    if !dir.join("index.html").is_file() {
        return not_built();
    }
    let index = dir.join("index.html");
    match ServeDir::new(&dir)
        .fallback(ServeFile::new(index))
        .oneshot(req)
        .await
    {
        Ok(r) => r.map(axum::body::Body::new),
        Err(never) => match never {},
    }
}

/// `/s/{link}` and `/embed/{link}`: the app's page, framed only where the link allows.
pub async fn share_page(
    State(state): State<AppState>,
    Path(link): Path<String>,
    headers: HeaderMap,
) -> Response {
    let found = uuid::Uuid::parse_str(&link)
        .ok()
        .and_then(|id| state.dashboards.as_ref()?.link(id).ok());
    let Some((link, _)) = found else {
        return error_page(StatusCode::NOT_FOUND, "This share link does not exist.");
    };
    let referer = headers.get(header::REFERER).and_then(|v| v.to_str().ok());
    match shared::page_allowed(&link, referer, cairn_core::time_fmt::now_us()) {
        Ok(()) => {}
        Err(Error::Forbidden(m)) => return error_page(StatusCode::FORBIDDEN, &m),
        Err(_) => return error_page(StatusCode::NOT_FOUND, "This share link does not exist."),
    }
    let Some(dir) = &state.config.web_dir else {
        return not_built();
    };
    let Ok(html) = tokio::fs::read(dir.join("index.html")).await else {
        return not_built();
    };
    let csp = format!("frame-ancestors {}", shared::frame_ancestors(&link));
    let mut r = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
