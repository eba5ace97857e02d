//! A user's open sessions: list them and end one (the user themself or a site administrator).
use super::dto::*;
use super::{Admin, Params, SESSION_COOKIE, id, paged, tenancy};
use crate::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum_extra::extract::cookie::CookieJar;
use cairn_core::tenancy::UserId;

/// The user's open sessions, oldest first; `current` marks the session of this request. The
/// user themself or a site administrator (others: 404).
#[utoipa::path(get, path = "/api/v1/users/{id}/sessions", tag = "users",
    params(("id" = String, Path, description = "user id"), ListParams),
    responses((status = 200, body = SessionPage), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_sessions(
    State(state): State<AppState>,
    Admin(s): Admin,
    jar: CookieJar,
    Path(uid): Path<String>,
    Params(p): Params<ListParams>,
) -> Result<Json<SessionPage>, ApiError> {
    let current = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned());
    let l = tenancy(&state)?.sessions(&s, UserId(id(&uid)?), current.as_deref(), &p.query()?)?;
    let (items, next_cursor) = paged(l);
    Ok(Json(SessionPage { items, next_cursor }))
}

/// End one of the user's sessions: its cookie stops working at once (the user themself or a
/// site administrator).
#[utoipa::path(delete, path = "/api/v1/users/{id}/sessions/{session}", tag = "users",
    params(("id" = String, Path, description = "user id"), ("session" = String, Path, description = "session id")),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn end_session(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path((uid, sid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    tenancy(&state)?.end_session(&s, UserId(id(&uid)?), id(&sid)?)?;
    Ok(StatusCode::NO_CONTENT)
}
