//! Exports: every statement of a store matching a filter, streamed as ClickHouse answers (never
//! buffered), as whole statements, NDJSON or CSV of chosen fields, with times as ISO 8601 in the
//! chosen time zone (UTC by default). `POST` takes the request as its JSON body; `GET` takes the
//! same JSON in the `request` parameter, so the web app can start a download with a plain link
//! (the session cookie authenticates it; it is `SameSite=Strict`).
use super::analytics::statements_query;
use super::dto::ErrorBody;
use super::{Admin, Body, Params, id, tenancy};
use crate::AppState;
use crate::error::ApiError;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use cairn_core::analytics::ExportFormat;
use cairn_core::{Error, StoreId};
use serde::Deserialize;
use utoipa::IntoParams;

/// Export format.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `statements` (whole statements, one JSON a line; the default), `ndjson` or `csv` (the
    /// chosen fields).
    pub format: Option<String>,
}

/// Export format, and the request as JSON text.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportLinkParams {
    /// `statements` (the default), `ndjson` or `csv`.
    pub format: Option<String>,
    /// The export request as JSON: `{"filter", "fields", "order", "tz"}` (default `{}`).
    pub request: Option<String>,
}

/// Export every statement of a store matching a filter, streamed (viewer or more). Body:
/// `{"filter", "fields", "order": "asc" | "desc", "tz"}`. Oldest first unless `order` is `desc`;
/// times (`timestamp`, `stored`) are ISO 8601 in `tz` (default UTC) with the zone's offset.
#[utoipa::path(post, path = "/api/v1/stores/{id}/statements/export", tag = "analytics",
    request_body = Object,
    params(("id" = String, Path, description = "store id"), ExportParams),
    responses((status = 200, content_type = "application/x-ndjson"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn export_statements(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(sid): Path<String>,
    Params(p): Params<ExportParams>,
    Body(b): Body<serde_json::Value>,
) -> Result<Response, ApiError> {
    export(&state, &s, &sid, p.format.as_deref(), &b).await
}

/// The same export as a download: the request in the `request` parameter (JSON), answered with
/// `Content-Disposition: attachment`.
#[utoipa::path(get, path = "/api/v1/stores/{id}/statements/export", tag = "analytics",
    params(("id" = String, Path, description = "store id"), ExportLinkParams),
    responses((status = 200, content_type = "application/x-ndjson"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn export_download(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(sid): Path<String>,
    Params(p): Params<ExportLinkParams>,
) -> Result<Response, ApiError> {
    let body = match p.request.as_deref() {
        None => serde_json::json!({}),
        Some(text) => serde_json::from_str(text)
            .map_err(|e| ApiError::bad_request(format!("request: not JSON: {e}")))?,
    };
    export(&state, &s, &sid, p.format.as_deref(), &body).await
}

async fn export(
    state: &AppState,
    s: &cairn_core::tenancy::Subject,
    sid: &str,
    format: Option<&str>,
    b: &serde_json::Value,
) -> Result<Response, ApiError> {
    let store = StoreId(id(sid)?);
    tenancy(state)?.store(s, store)?;
    let mut q = statements_query(state, store, b)?;
    if q.tz.is_none() {
        q.tz = Some("UTC".into());
    }
    let (format, content_type, ext) = match format {
        None | Some("statements") => (ExportFormat::Statements, "application/x-ndjson", "jsonl"),
        Some("ndjson") => (ExportFormat::Ndjson, "application/x-ndjson", "ndjson"),
        Some("csv") => (ExportFormat::Csv, "text/csv; charset=utf-8", "csv"),
        Some(_) => {
            return Err(ApiError::bad_request(
                "format: expected statements, ndjson or csv",
            ));
        }
    };
    let analytics = state.analytics.as_ref().ok_or(ApiError(Error::NotFound))?;
    let rx = analytics.export(&q, format).await.map_err(Error::from)?;
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|c| (c.map_err(|e| std::io::Error::other(e.message)), rx))
    });
    let now = cairn_core::time_fmt::format_us(cairn_core::time_fmt::now_us());
    let day = now.get(..10).unwrap_or("export");
    let disposition = format!("attachment; filename=\"statements-{day}.{ext}\"");
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        axum::body::Body::from_stream(stream),
    )
        .into_response())
}
