//! Statement forwarders of a store (docs/forwarding.md): store viewers list and read them with
//! their delivery status; store admins create, change, pause (`enabled: false`), replay and
//! delete them, and retry or discard their dead letters. Secrets are write-only.
use super::dto::{ErrorBody, ListParams};
use super::fwd_dto::*;
use super::{Admin, Body, Params, id};
use crate::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use cairn_core::forwarding::{ForwarderEdit, ForwarderService, NewForwarder, ReplayFrom};
use cairn_core::{Error, StoreId};

fn service(state: &AppState) -> Result<&ForwarderService, ApiError> {
    state.forwarders.as_ref().ok_or(ApiError(Error::NotFound))
}

/// A store's forwarders with their status, in creation order (viewer or more).
#[utoipa::path(get, path = "/api/v1/stores/{id}/forwarders", tag = "forwarders",
    params(("id" = String, Path, description = "store id"), ListParams),
    responses((status = 200, body = ForwarderPage), (status = 404, body = ErrorBody)))]
pub async fn list_forwarders(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(sid): Path<String>,
    Params(p): Params<ListParams>,
) -> Result<Json<ForwarderPage>, ApiError> {
    let svc = service(&state)?;
    let l = svc.list(&s, StoreId(id(&sid)?), &p.query()?)?;
    let mut items = Vec::with_capacity(l.items.len());
    for f in &l.items {
        items.push(ForwarderDto::new(f, &svc.hub().status(f).await?));
    }
    Ok(Json(ForwarderPage {
        items,
        next_cursor: l.next.map(|u| u.to_string()),
    }))
}

/// Create a forwarder (store admin). It forwards statements stored from now on; replay to
/// send earlier ones.
#[utoipa::path(post, path = "/api/v1/stores/{id}/forwarders", tag = "forwarders",
    request_body = CreateForwarder,
    params(("id" = String, Path, description = "store id")),
    responses((status = 201, body = ForwarderDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_forwarder(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(sid): Path<String>,
    Body(b): Body<CreateForwarder>,
) -> Result<(StatusCode, Json<ForwarderDto>), ApiError> {
    let n = NewForwarder {
        name: b.name,
        filter: b.filter,
        target: b.target.into_input()?,
        batch_size: b.batch_size,
        enabled: b.enabled,
    };
    let svc = service(&state)?;
    let f = svc.create(&s, StoreId(id(&sid)?), n).await?;
    let st = svc.hub().status(&f).await?;
    Ok((StatusCode::CREATED, Json(ForwarderDto::new(&f, &st))))
}

/// One forwarder with its status (viewer or more).
#[utoipa::path(get, path = "/api/v1/stores/{id}/forwarders/{forwarder}", tag = "forwarders",
    params(("id" = String, Path, description = "store id"), ("forwarder" = String, Path, description = "forwarder id")),
    responses((status = 200, body = ForwarderDto), (status = 404, body = ErrorBody)))]
pub async fn get_forwarder(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path((sid, fid)): Path<(String, String)>,
) -> Result<Json<ForwarderDto>, ApiError> {
    let (f, st) = service(&state)?
        .status(&s, StoreId(id(&sid)?), id(&fid)?)
        .await?;
    Ok(Json(ForwarderDto::new(&f, &st)))
}

/// Change a forwarder: name, filter, target, batch size, or pause and resume it with
/// `enabled` (store admin). Secrets left out are kept.
#[utoipa::path(patch, path = "/api/v1/stores/{id}/forwarders/{forwarder}", tag = "forwarders",
    request_body = UpdateForwarder,
    params(("id" = String, Path, description = "store id"), ("forwarder" = String, Path, description = "forwarder id")),
    responses((status = 200, body = ForwarderDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_forwarder(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path((sid, fid)): Path<(String, String)>,
    Body(b): Body<UpdateForwarder>,
) -> Result<Json<ForwarderDto>, ApiError> {
    let e = ForwarderEdit {
        name: b.name,
        filter: b.filter,
        target: b.target.map(TargetBody::into_input).transpose()?,
        batch_size: b.batch_size,
        enabled: b.enabled,
    };
    let svc = service(&state)?;
    let f = svc.update(&s, StoreId(id(&sid)?), id(&fid)?, e).await?;
    let st = svc.hub().status(&f).await?;
    Ok(Json(ForwarderDto::new(&f, &st)))
}

/// Delete a forwarder with its cursor and dead letters (store admin).
#[utoipa::path(delete, path = "/api/v1/stores/{id}/forwarders/{forwarder}", tag = "forwarders",
    params(("id" = String, Path, description = "store id"), ("forwarder" = String, Path, description = "forwarder id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_forwarder(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path((sid, fid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    service(&state)?
        .delete(&s, StoreId(id(&sid)?), id(&fid)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Forward again from a log position or a time (store admin): the cursor moves there, and
/// every matching statement from it on is sent again (targets dedupe by statement id or
/// idempotency key).
#[utoipa::path(post, path = "/api/v1/stores/{id}/forwarders/{forwarder}/replay", tag = "forwarders",
    request_body = ReplayBody,
    params(("id" = String, Path, description = "store id"), ("forwarder" = String, Path, description = "forwarder id")),
    responses((status = 200, body = ReplayDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn replay_forwarder(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path((sid, fid)): Path<(String, String)>,
    Body(b): Body<ReplayBody>,
) -> Result<Json<ReplayDto>, ApiError> {
    let from = match (b.from_seq, b.from_time.as_deref()) {
        (Some(q), None) => ReplayFrom::Seq(q),
        (None, Some(t)) => {
            ReplayFrom::TimeUs(cairn_core::time_fmt::parse_us(t).ok_or_else(|| {
                ApiError::bad_request("/from_time: expected an ISO 8601 time with a zone")
            })?)
        }
        _ => {
            return Err(ApiError::bad_request(
                "give exactly one of from_seq and from_time",
            ));
        }
    };
    let cursor = service(&state)?
        .replay(&s, StoreId(id(&sid)?), id(&fid)?, from)
        .await?;
    Ok(Json(ReplayDto { cursor }))
}

/// A forwarder's dead letters, oldest first (viewer or more).
#[utoipa::path(get, path = "/api/v1/stores/{id}/forwarders/{forwarder}/dead-letters", tag = "forwarders",
    params(("id" = String, Path, description = "store id"), ("forwarder" = String, Path, description = "forwarder id")),
    responses((status = 200, body = DeadLetterList), (status = 404, body = ErrorBody)))]
pub async fn list_dead_letters(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path((sid, fid)): Path<(String, String)>,
) -> Result<Json<DeadLetterList>, ApiError> {
    let l = service(&state)?
        .dead_letters(&s, StoreId(id(&sid)?), id(&fid)?)
        .await?;
    Ok(Json(DeadLetterList {
        items: l.iter().map(DeadLetterDto::from).collect(),
    }))
}

/// Send a dead letter's statements again, now (store admin). Delivered: it is removed.
/// Otherwise it stays, with the target's new answer. In a cluster the node asked sends it: 503
/// while its log has not reached the batch yet. 404: gone (discarded, or delivered by a retry).
#[utoipa::path(post, path = "/api/v1/stores/{id}/forwarders/{forwarder}/dead-letters/{dead_letter}/retry", tag = "forwarders",
    params(("id" = String, Path, description = "store id"), ("forwarder" = String, Path, description = "forwarder id"), ("dead_letter" = String, Path, description = "dead letter id")),
    responses((status = 200, body = RetryDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn retry_dead_letter(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path((sid, fid, did)): Path<(String, String, String)>,
) -> Result<Json<RetryDto>, ApiError> {
    let kept = service(&state)?
        .retry(&s, StoreId(id(&sid)?), id(&fid)?, id(&did)?)
        .await?;
    Ok(Json(RetryDto {
        delivered: kept.is_none(),
        dead_letter: kept.as_ref().map(DeadLetterDto::from),
    }))
}

/// Discard a dead letter without sending it (store admin).
#[utoipa::path(delete, path = "/api/v1/stores/{id}/forwarders/{forwarder}/dead-letters/{dead_letter}", tag = "forwarders",
    params(("id" = String, Path, description = "store id"), ("forwarder" = String, Path, description = "forwarder id"), ("dead_letter" = String, Path, description = "dead letter id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn discard_dead_letter(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path((sid, fid, did)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    service(&state)?
        .discard(&s, StoreId(id(&sid)?), id(&fid)?, id(&did)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
