//! Personas of a store: list, read, create, rename, attributes, identifiers, merge, split,
//! delete, lookup by identifier, and streamed CSV import. Viewers read; analysts and more change.
//! Identifiers travel as Agent-like objects (`{"mbox": "mailto:…"}`, `{"account": {…}}`).
use super::dto::ErrorBody;
use super::{Admin, Body, Params, id};
use crate::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cairn_core::personas::{Persona, PersonaService, identifier_json, ifi_of};
use cairn_core::tenancy::ListQuery;
use cairn_core::time_fmt::format_us;
use cairn_core::{Error, StoreId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A persona: its name, attributes and every identifier it groups.
#[derive(Serialize, ToSchema)]
pub struct PersonaDto {
    pub id: Uuid,
    pub store: Uuid,
    pub name: String,
    pub attributes: BTreeMap<String, String>,
    #[schema(value_type = Vec<Object>)]
    pub identifiers: Vec<serde_json::Value>,
    pub created: String,
    pub updated: String,
}

impl From<Persona> for PersonaDto {
    fn from(p: Persona) -> Self {
        PersonaDto {
            id: p.id,
            store: p.store.0,
            name: p.name,
            attributes: p.attributes,
            identifiers: p.identifiers.iter().map(|i| identifier_json(i)).collect(),
            created: format_us(p.created_us),
            updated: format_us(p.updated_us),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PersonaPage {
    pub items: Vec<PersonaDto>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PersonaListParams {
    pub cursor: Option<String>,
    pub limit: Option<usize>,
    /// Case-insensitive substring of the name.
    pub name: Option<String>,
    /// Search text: a case-insensitive substring of the name, of an identifier (an email
    /// address, an account name or home page, an OpenID, a SHA1 sum) or of an attribute value.
    pub q: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePersona {
    pub name: String,
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub identifiers: Vec<serde_json::Value>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePersona {
    pub name: Option<String>,
    /// Replaces every attribute.
    pub attributes: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentifierBody {
    #[schema(value_type = Object)]
    pub identifier: serde_json::Value,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    /// The persona whose identifiers move into this one; it is removed.
    pub from: Uuid,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitBody {
    /// Name of the new persona.
    pub name: String,
    /// Identifiers of this persona that move to the new one.
    #[schema(value_type = Vec<Object>)]
    pub identifiers: Vec<serde_json::Value>,
}

#[derive(Serialize, ToSchema)]
pub struct SplitAnswer {
    pub from: PersonaDto,
    pub created: PersonaDto,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LookupParams {
    /// The identifier as JSON, e.g. `{"mbox":"mailto:a@example.com"}`.
    pub identifier: String,
}

/// The persona an identifier belongs to; `implicit` when no persona holds it (its id is then the
/// identifier's key, as aggregates by persona show it).
#[derive(Serialize, ToSchema)]
pub struct PersonaLookup {
    pub id: String,
    pub implicit: bool,
    pub name: Option<String>,
    pub attributes: BTreeMap<String, String>,
    #[schema(value_type = Vec<Object>)]
    pub identifiers: Vec<serde_json::Value>,
}

fn personas(state: &AppState) -> Result<&PersonaService, ApiError> {
    state.personas.as_ref().ok_or(ApiError(Error::NotFound))
}

fn ifi(v: &serde_json::Value) -> Result<String, ApiError> {
    ifi_of(v).map_err(ApiError::bad_request)
}

fn ifis(v: &[serde_json::Value]) -> Result<Vec<String>, ApiError> {
    v.iter()
        .enumerate()
        .map(|(i, x)| ifi_of(x).map_err(|e| ApiError::bad_request(format!("identifiers/{i}: {e}"))))
        .collect()
}

fn ids(sid: &str, pid: &str) -> Result<(StoreId, Uuid), ApiError> {
    Ok((StoreId(id(sid)?), id(pid)?))
}

/// A store's personas, in creation order, optionally searched by name, identifier or attribute
/// value (viewer or more).
#[utoipa::path(get, path = "/api/v1/stores/{id}/personas", tag = "personas",
    params(("id" = String, Path, description = "store id"), PersonaListParams),
    responses((status = 200, body = PersonaPage), (status = 404, body = ErrorBody)))]
pub async fn list_personas(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(sid): Path<String>,
    Params(p): Params<PersonaListParams>,
) -> Result<Json<PersonaPage>, ApiError> {
    let after = p.cursor.as_deref().map(id).transpose()?;
    let q = ListQuery {
        after,
        limit: p.limit.unwrap_or(100).clamp(1, 1000),
        name: p.name,
    };
    let l = personas(&state)?.list(&s, StoreId(id(&sid)?), &q, p.q.as_deref())?;
    Ok(Json(PersonaPage {
        items: l.items.into_iter().map(PersonaDto::from).collect(),
        next_cursor: l.next.map(|u| u.to_string()),
    }))
}

/// Create a persona (analyst or more). Each identifier may belong to one persona only (409).
#[utoipa::path(post, path = "/api/v1/stores/{id}/personas", tag = "personas",
    request_body = CreatePersona, params(("id" = String, Path, description = "store id")),
    responses((status = 201, body = PersonaDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_persona(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(sid): Path<String>,
    Body(b): Body<CreatePersona>,
) -> Result<Response, ApiError> {
    let store = StoreId(id(&sid)?);
    let p = personas(&state)?
        .create(&s, store, &b.name, b.attributes, ifis(&b.identifiers)?)
        .await?;
    Ok((StatusCode::CREATED, Json(PersonaDto::from(p))).into_response())
}

/// The persona an identifier belongs to, explicit or implicit (viewer or more).
#[utoipa::path(get, path = "/api/v1/stores/{id}/personas/lookup", tag = "personas",
    params(("id" = String, Path, description = "store id"), LookupParams),
    responses((status = 200, body = PersonaLookup), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn lookup_persona(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(sid): Path<String>,
    Params(p): Params<LookupParams>,
) -> Result<Json<PersonaLookup>, ApiError> {
    let v: serde_json::Value = serde_json::from_str(&p.identifier)
        .map_err(|e| ApiError::bad_request(format!("identifier: not JSON: {e}")))?;
    let found = personas(&state)?.lookup(&s, StoreId(id(&sid)?), &ifi(&v)?)?;
    Ok(Json(PersonaLookup {
        id: found.id,
        implicit: found.implicit,
        name: found.name,
        attributes: found.attributes,
        identifiers: found
            .identifiers
            .iter()
            .map(|i| identifier_json(i))
            .collect(),
    }))
}

/// A persona (viewer or more).
#[utoipa::path(get, path = "/api/v1/stores/{id}/personas/{persona}", tag = "personas",
    params(("id" = String, Path, description = "store id"), ("persona" = String, Path, description = "persona id")),
    responses((status = 200, body = PersonaDto), (status = 404, body = ErrorBody)))]
pub async fn get_persona(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path((sid, pid)): Path<(String, String)>,
) -> Result<Json<PersonaDto>, ApiError> {
    let (store, p) = ids(&sid, &pid)?;
    Ok(Json(personas(&state)?.get(&s, store, p)?.into()))
}

/// Rename a persona or replace its attributes (analyst or more).
#[utoipa::path(patch, path = "/api/v1/stores/{id}/personas/{persona}", tag = "personas",
    request_body = UpdatePersona,
    params(("id" = String, Path, description = "store id"), ("persona" = String, Path, description = "persona id")),
    responses((status = 200, body = PersonaDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_persona(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path((sid, pid)): Path<(String, String)>,
    Body(b): Body<UpdatePersona>,
) -> Result<Json<PersonaDto>, ApiError> {
    let (store, p) = ids(&sid, &pid)?;
    let x = personas(&state)?
        .update(&s, store, p, b.name, b.attributes)
        .await?;
    Ok(Json(x.into()))
}

/// Delete a persona (analyst or more): its identifiers become implicit personas again.
#[utoipa::path(delete, path = "/api/v1/stores/{id}/personas/{persona}", tag = "personas",
    params(("id" = String, Path, description = "store id"), ("persona" = String, Path, description = "persona id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_persona(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path((sid, pid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let (store, p) = ids(&sid, &pid)?;
    personas(&state)?.delete(&s, store, p).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add an identifier to a persona (analyst or more); 409 when another persona holds it.
#[utoipa::path(post, path = "/api/v1/stores/{id}/personas/{persona}/identifiers", tag = "personas",
    request_body = IdentifierBody,
    params(("id" = String, Path, description = "store id"), ("persona" = String, Path, description = "persona id")),
    responses((status = 200, body = PersonaDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn add_identifier(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path((sid, pid)): Path<(String, String)>,
    Body(b): Body<IdentifierBody>,
) -> Result<Json<PersonaDto>, ApiError> {
    let (store, p) = ids(&sid, &pid)?;
    let x = personas(&state)?
        .add_identifier(&s, store, p, ifi(&b.identifier)?)
        .await?;
    Ok(Json(x.into()))
}

/// Remove an identifier from a persona (analyst or more); it becomes its own implicit persona.
#[utoipa::path(post, path = "/api/v1/stores/{id}/personas/{persona}/identifiers/remove", tag = "personas",
    request_body = IdentifierBody,
    params(("id" = String, Path, description = "store id"), ("persona" = String, Path, description = "persona id")),
    responses((status = 200, body = PersonaDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove_identifier(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path((sid, pid)): Path<(String, String)>,
    Body(b): Body<IdentifierBody>,
) -> Result<Json<PersonaDto>, ApiError> {
    let (store, p) = ids(&sid, &pid)?;
    let x = personas(&state)?
        .remove_identifier(&s, store, p, ifi(&b.identifier)?)
        .await?;
    Ok(Json(x.into()))
}

/// Merge another persona into this one (analyst or more): its identifiers move here and it is
/// removed. Every aggregate by persona changes at once; no statement is rewritten.
#[utoipa::path(post, path = "/api/v1/stores/{id}/personas/{persona}/merge", tag = "personas",
    request_body = MergeBody,
    params(("id" = String, Path, description = "store id"), ("persona" = String, Path, description = "persona id (kept)")),
    responses((status = 200, body = PersonaDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn merge_persona(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path((sid, pid)): Path<(String, String)>,
    Body(b): Body<MergeBody>,
) -> Result<Json<PersonaDto>, ApiError> {
    let (store, p) = ids(&sid, &pid)?;
    Ok(Json(
        personas(&state)?.merge(&s, store, p, b.from).await?.into(),
    ))
}

/// Split identifiers of a persona off into a new persona (analyst or more).
#[utoipa::path(post, path = "/api/v1/stores/{id}/personas/{persona}/split", tag = "personas",
    request_body = SplitBody,
    params(("id" = String, Path, description = "store id"), ("persona" = String, Path, description = "persona id")),
    responses((status = 200, body = SplitAnswer), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn split_persona(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path((sid, pid)): Path<(String, String)>,
    Body(b): Body<SplitBody>,
) -> Result<Json<SplitAnswer>, ApiError> {
    let (store, p) = ids(&sid, &pid)?;
    let (from, created) = personas(&state)?
        .split(&s, store, p, &b.name, ifis(&b.identifiers)?)
        .await?;
    Ok(Json(SplitAnswer {
        from: from.into(),
        created: created.into(),
    }))
}

/// Import personas from CSV (analyst or more), streamed. Columns: `name` (rows of one name are
/// one persona, created unless the store has one of that name), `mbox`, `mbox_sha1sum`, `openid`,
/// `account_homepage` + `account_name`; any other column is an attribute. The answer is NDJSON:
/// `{"progress": {rows, created, updated, failed}}` after each batch, then `{"done": {…, "errors":
/// [{line, message}], "errors_truncated"}}` (or `{"failed": {message, report}}` when the CSV
/// breaks off).
#[utoipa::path(post, path = "/api/v1/stores/{id}/personas/import", tag = "personas",
    request_body(content = String, content_type = "text/csv"),
    params(("id" = String, Path, description = "store id")),
    responses((status = 200, content_type = "application/x-ndjson"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn import_personas(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(sid): Path<String>,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    use futures_util::TryStreamExt;
    let store = StoreId(id(&sid)?);
    let stream = body.into_data_stream().map_err(std::io::Error::other);
    let reader = tokio_util::io::SyncIoBridge::new(tokio_util::io::StreamReader::new(stream));
    let rx = personas(&state)?
        .import(&s, store, Box::new(reader))
        .await?;
    let lines = futures_util::stream::unfold(rx, |mut rx| async move {
        let msg = rx.recv().await?;
        let mut line = serde_json::to_vec(&msg).unwrap_or_default();
        line.push(b'\n');
        Some((Ok::<_, std::io::Error>(line), rx))
    });
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/x-ndjson")],
        axum::body::Body::from_stream(lines),
    )
        .into_response())
}
