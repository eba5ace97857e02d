//! Share links of a dashboard (viewer lists, analyst or more creates, changes and revokes). A
//! signed link's secret is answered once, at creation (or when a link becomes signed).
use super::dashboards::service;
use super::dto::ErrorBody;
use super::link_dto::*;
use super::{Admin, Body, id};
use crate::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use cairn_core::dashboards::{LinkEdit, NewLink, ShareLink};

fn time(s: &str, what: &str) -> Result<i64, ApiError> {
    cairn_core::time_fmt::parse_us(s)
        .ok_or_else(|| ApiError::bad_request(format!("/{what}: expected RFC 3339")))
}

/// Where the link's pages are, as the caller reaches this server.
fn origin(headers: &HeaderMap, state: &AppState) -> String {
    if let Some(o) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        return o.to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if state.config.cookie_secure {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

fn created(l: &ShareLink, secret: Option<String>, base: &str) -> CreatedLink {
    let url = format!("{base}/s/{}", l.id);
    let embed = format!("{base}/embed/{}", l.id);
    CreatedLink {
        link: ShareLinkDto::from(l),
        secret,
        url,
        embed_snippet: format!(
            "<iframe src=\"{embed}\" width=\"100%\" height=\"600\" style=\"border:0\" loading=\"lazy\"></iframe>"
        ),
    }
}

/// A dashboard's share links, revoked ones included (viewer or more).
#[utoipa::path(get, path = "/api/v1/dashboards/{id}/links", tag = "share links",
    params(("id" = String, Path, description = "dashboard id")),
    responses((status = 200, body = ShareLinkList), (status = 404, body = ErrorBody)))]
pub async fn list_links(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(did): Path<String>,
) -> Result<Json<ShareLinkList>, ApiError> {
    let items = service(&state)?.links(&s, id(&did)?)?;
    Ok(Json(ShareLinkList {
        items: items.iter().map(ShareLinkDto::from).collect(),
    }))
}

/// Create a share link (analyst or more). `visibility`: `nobody`, `anyone` or `domains` (the
/// listed origins may embed it); `url_filter`: `off`, `plain` (`filter` in the URL) or `signed`
/// (`token`: a JWT, HS256 with the secret answered here once, claims `{"filter", "exp"}`).
#[utoipa::path(post, path = "/api/v1/dashboards/{id}/links", tag = "share links",
    request_body = CreateLink,
    params(("id" = String, Path, description = "dashboard id")),
    responses((status = 201, body = CreatedLink), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_link(
    State(state): State<AppState>,
    Admin(s): Admin,
    headers: HeaderMap,
    Path(did): Path<String>,
    Body(b): Body<CreateLink>,
) -> Result<(StatusCode, Json<CreatedLink>), ApiError> {
    let n = NewLink {
        name: b.name,
        visibility: b.visibility.into(),
        domains: b.domains.unwrap_or_default(),
        expires_us: b
            .expires_at
            .as_deref()
            .map(|e| time(e, "expires_at"))
            .transpose()?,
        url_filter: b.url_filter.into(),
    };
    let (l, secret) = service(&state)?.create_link(&s, id(&did)?, n).await?;
    Ok((
        StatusCode::CREATED,
        Json(created(&l, secret, &origin(&headers, &state))),
    ))
}

/// Change a share link (analyst or more). A link made `signed` gets a new secret, answered once.
#[utoipa::path(patch, path = "/api/v1/dashboards/{id}/links/{link}", tag = "share links",
    request_body = UpdateLink,
    params(("id" = String, Path, description = "dashboard id"), ("link" = String, Path, description = "link id")),
    responses((status = 200, body = CreatedLink), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_link(
    State(state): State<AppState>,
    Admin(s): Admin,
    headers: HeaderMap,
    Path((did, lid)): Path<(String, String)>,
    Body(b): Body<UpdateLink>,
) -> Result<Json<CreatedLink>, ApiError> {
    let e = LinkEdit {
        name: b.name,
        visibility: b.visibility.map(Into::into),
        domains: b.domains,
        expires_us: b
            .expires_at
            .map(|e| e.as_deref().map(|e| time(e, "expires_at")).transpose())
            .transpose()?,
        url_filter: b.url_filter.map(Into::into),
    };
    let (l, secret) = service(&state)?
        .update_link(&s, id(&did)?, id(&lid)?, e)
        .await?;
    Ok(Json(created(&l, secret, &origin(&headers, &state))))
}

/// Revoke a share link (analyst or more): its pages and data answer 403 from now on.
#[utoipa::path(delete, path = "/api/v1/dashboards/{id}/links/{link}", tag = "share links",
    params(("id" = String, Path, description = "dashboard id"), ("link" = String, Path, description = "link id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_link(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path((did, lid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    service(&state)?
        .revoke_link(&s, id(&did)?, id(&lid)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
