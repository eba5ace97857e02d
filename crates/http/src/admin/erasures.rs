//! Erasure of a person (GDPR): start one, follow its progress.
use super::dto::ErrorBody;
use super::{Admin, Body, id};
use crate::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cairn_core::Error;
use cairn_core::purge::service::{ErasureScope, ErasureService, ErasureState, ErasureStatus};
use cairn_core::tenancy::OrgId;
use cairn_core::{StoreId, purge::run::Stage};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What to erase, and where: exactly one of `agent` and `persona`, and exactly one of `store`
/// and `organisation` (a persona belongs to one store: `store` only).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateErasure {
    /// The person: an xAPI Agent (or identified Group) with one identifier (`mbox`,
    /// `mbox_sha1sum`, `openid` or `account`).
    #[schema(value_type = Option<Object>)]
    pub agent: Option<serde_json::Value>,
    /// A persona of `store`: every identifier it lists, and the persona itself.
    pub persona: Option<uuid::Uuid>,
    /// Erase in this store.
    pub store: Option<uuid::Uuid>,
    /// Erase in every store of this organisation.
    pub organisation: Option<uuid::Uuid>,
}

/// An erasure and its progress.
#[derive(Serialize, ToSchema)]
pub struct ErasureDto {
    pub id: uuid::Uuid,
    /// `dry_run` (a batch delete's count), `planning`, `queued`, `waiting` (for the projection to catch up), `projection`
    /// (deleting ClickHouse rows, rebuilding aggregates), `removing`, `compacting` (rewriting
    /// the data directory's files), `rewriting` (in a cluster: rewriting the cluster's log
    /// without the erased data), `finished` or `failed`.
    pub state: String,
    pub stores: Vec<uuid::Uuid>,
    /// Statements it removes (0 until planned).
    pub statements: u64,
    /// Why it failed (it is finished at the next start when it failed after removing began).
    pub error: Option<String>,
}

impl From<ErasureStatus> for ErasureDto {
    fn from(s: ErasureStatus) -> Self {
        let state = match s.state {
            ErasureState::Planning => "planning",
            ErasureState::Queued => "queued",
            ErasureState::Running(Stage::Waiting) => "waiting",
            ErasureState::Running(Stage::Projection) => "projection",
            ErasureState::Running(Stage::Removing) => "removing",
            ErasureState::Running(Stage::Compacting) => "compacting",
            ErasureState::Running(Stage::Rewriting) => "rewriting",
            ErasureState::Running(Stage::Finished) | ErasureState::Finished => "finished",
            ErasureState::Failed => "failed",
        };
        ErasureDto {
            id: s.id,
            state: state.into(),
            stores: s.stores.iter().map(|s| s.0).collect(),
            statements: s.statements,
            error: s.error,
        }
    }
}

fn erasures(state: &AppState) -> Result<&ErasureService, ApiError> {
    state.erasures.as_ref().ok_or(ApiError(Error::NotFound))
}

/// Erase a person (an agent, or a whole persona: each identifier it lists, and the persona):
/// every statement about them (actor, object, instructor, team or group member, also inside
/// sub-statements; not as the authority), their agent profiles and state documents, the
/// attachments only those statements had, their identifier in personas, and every ClickHouse
/// row derived from them. Site administrators, or administrators of the store's organisation. Answers
/// 202 at once; follow it with `GET /api/v1/erasures/{id}`. See docs/operations.md.
#[utoipa::path(post, path = "/api/v1/erasures", tag = "erasures", request_body = CreateErasure,
    responses((status = 202, body = ErasureDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create_erasure(
    State(state): State<AppState>,
    Admin(s): Admin,
    Body(b): Body<CreateErasure>,
) -> Result<Response, ApiError> {
    let scope = match (b.store, b.organisation) {
        (Some(st), None) => ErasureScope::Store(StoreId(st)),
        (None, Some(o)) => ErasureScope::Organisation(OrgId(o)),
        _ => {
            return Err(ApiError::bad_request(
                "give exactly one of `store` and `organisation`",
            ));
        }
    };
    let status = match (b.agent, b.persona) {
        (Some(agent), None) => {
            let agent =
                cairn_xapi::parse_agent_param(&agent.to_string(), cairn_xapi::XapiVersion::V2_0_0)
                    .map_err(|e| ApiError::bad_request(format!("agent: {e}")))?;
            let ifi = agent
                .ifi_key()
                .ok_or_else(|| ApiError::bad_request("agent: an identifier is needed"))?;
            erasures(&state)?.start(&s, scope, vec![ifi])?
        }
        (None, Some(persona)) => {
            let ErasureScope::Store(store) = scope else {
                return Err(ApiError::bad_request(
                    "persona: a persona belongs to one store; give `store`",
                ));
            };
            let personas = state.personas.as_ref().ok_or(ApiError(Error::NotFound))?;
            let p = personas.get(&s, store, persona)?;
            erasures(&state)?.start_persona(&s, store, persona, p.identifiers)?
        }
        _ => {
            return Err(ApiError::bad_request(
                "give exactly one of `agent` and `persona`",
            ));
        }
    };
    Ok((StatusCode::ACCEPTED, Json(ErasureDto::from(status))).into_response())
}

/// An erasure's progress (the same roles as starting it). Kept until the server restarts.
#[utoipa::path(get, path = "/api/v1/erasures/{id}", tag = "erasures",
    params(("id" = String, Path, description = "erasure id")),
    responses((status = 200, body = ErasureDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_erasure(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(eid): Path<String>,
) -> Result<Json<ErasureDto>, ApiError> {
    Ok(Json(erasures(&state)?.status(&s, id(&eid)?)?.into()))
}

/// Which statements to delete.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchDelete {
    /// A filter of the filter language (docs/api.md, "Analytics").
    #[schema(value_type = Object)]
    pub filter: serde_json::Value,
    /// Only count them: answers `200` with `statements`, deletes nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// Delete the statements of a store that a filter matches, with their attachments no other
/// statement refers to and every ClickHouse row derived from them; the bytes leave the disk
/// like an erasure's (site administrators, or administrators of the store's organisation).
/// `dry_run` answers the count first (`200`); otherwise `202`, followed with
/// `GET /api/v1/erasures/{id}`.
#[utoipa::path(post, path = "/api/v1/stores/{id}/statements/delete", tag = "erasures", request_body = BatchDelete,
    params(("id" = String, Path, description = "store id")),
    responses((status = 200, body = ErasureDto), (status = 202, body = ErasureDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn batch_delete(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(sid): Path<String>,
    Body(b): Body<BatchDelete>,
) -> Result<Response, ApiError> {
    let store = StoreId(id(&sid)?);
    let status = erasures(&state)?
        .batch_delete(&s, store, &b.filter, b.dry_run)
        .await?;
    let code = if b.dry_run {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    let mut dto = ErasureDto::from(status);
    if b.dry_run {
        dto.state = "dry_run".into();
    }
    Ok((code, Json(dto)).into_response())
}
