//! Saved filters of a store: a filter of the filter language kept by name, for the query
//! builder, dashboards, the statement explorer and exports (viewer lists and reads, analyst or
//! more creates, changes and deletes). Names are unique in a store, ignoring case (`409`).
use super::dashboards::service;
use super::dto::{ErrorBody, ListParams};
use super::{Admin, Body, Params, id};
use crate::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use cairn_core::StoreId;
use cairn_core::dashboards::{FilterEdit, NewFilter, SavedFilter};
use cairn_core::time_fmt::format_us;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A saved filter.
#[derive(Serialize, ToSchema)]
pub struct SavedFilterDto {
    pub id: String,
    pub store: String,
    pub name: String,
    pub description: String,
    /// The filter (filter language JSON, docs/api.md).
    #[schema(value_type = Object)]
    pub filter: serde_json::Value,
    pub created: String,
    pub updated: String,
}

impl From<&SavedFilter> for SavedFilterDto {
    fn from(f: &SavedFilter) -> Self {
        SavedFilterDto {
            id: f.id.to_string(),
            store: f.store.0.to_string(),
            name: f.name.clone(),
            description: f.description.clone(),
            filter: serde_json::from_str(&f.filter).unwrap_or(serde_json::Value::Null),
            created: format_us(f.created_us),
            updated: format_us(f.updated_us),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SavedFilterPage {
    pub items: Vec<SavedFilterDto>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSavedFilter {
    pub name: String,
    pub description: Option<String>,
    #[schema(value_type = Object)]
    pub filter: serde_json::Value,
}

/// Absent fields are kept.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSavedFilter {
    pub name: Option<String>,
    pub description: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub filter: Option<serde_json::Value>,
}

/// A store's saved filters, in creation order (viewer or more); `name` filters.
#[utoipa::path(get, path = "/api/v1/stores/{id}/filters", tag = "saved filters",
    params(("id" = String, Path, description = "store id"), ListParams),
    responses((status = 200, body = SavedFilterPage), (status = 404, body = ErrorBody)))]
pub async fn list_filters(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(sid): Path<String>,
    Params(p): Params<ListParams>,
) -> Result<Json<SavedFilterPage>, ApiError> {
    let l = service(&state)?.list_filters(&s, StoreId(id(&sid)?), &p.query()?)?;
    Ok(Json(SavedFilterPage {
        items: l.items.iter().map(SavedFilterDto::from).collect(),
        next_cursor: l.next.map(|u| u.to_string()),
    }))
}

/// Save a filter by name (analyst or more).
#[utoipa::path(post, path = "/api/v1/stores/{id}/filters", tag = "saved filters",
    request_body = CreateSavedFilter,
    params(("id" = String, Path, description = "store id")),
    responses((status = 201, body = SavedFilterDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_filter(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(sid): Path<String>,
    Body(b): Body<CreateSavedFilter>,
) -> Result<(StatusCode, Json<SavedFilterDto>), ApiError> {
    let n = NewFilter {
        name: b.name,
        description: b.description,
        filter: b.filter,
    };
    let f = service(&state)?
        .create_filter(&s, StoreId(id(&sid)?), n)
        .await?;
    Ok((StatusCode::CREATED, Json(SavedFilterDto::from(&f))))
}

/// One saved filter (viewer or more).
#[utoipa::path(get, path = "/api/v1/stores/{id}/filters/{filter}", tag = "saved filters",
    params(("id" = String, Path, description = "store id"), ("filter" = String, Path, description = "saved filter id")),
    responses((status = 200, body = SavedFilterDto), (status = 404, body = ErrorBody)))]
pub async fn get_filter(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path((sid, fid)): Path<(String, String)>,
) -> Result<Json<SavedFilterDto>, ApiError> {
    let f = service(&state)?.get_filter(&s, StoreId(id(&sid)?), id(&fid)?)?;
    Ok(Json(SavedFilterDto::from(&f)))
}

/// Rename a saved filter, or change its description or filter (analyst or more).
#[utoipa::path(patch, path = "/api/v1/stores/{id}/filters/{filter}", tag = "saved filters",
    request_body = UpdateSavedFilter,
    params(("id" = String, Path, description = "store id"), ("filter" = String, Path, description = "saved filter id")),
    responses((status = 200, body = SavedFilterDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_filter(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path((sid, fid)): Path<(String, String)>,
    Body(b): Body<UpdateSavedFilter>,
) -> Result<Json<SavedFilterDto>, ApiError> {
    let e = FilterEdit {
        name: b.name,
        description: b.description,
        filter: b.filter,
    };
    let f = service(&state)?
        .update_filter(&s, StoreId(id(&sid)?), id(&fid)?, e)
        .await?;
    Ok(Json(SavedFilterDto::from(&f)))
}

/// Delete a saved filter (analyst or more). Dashboards that applied it keep their copy.
#[utoipa::path(delete, path = "/api/v1/stores/{id}/filters/{filter}", tag = "saved filters",
    params(("id" = String, Path, description = "store id"), ("filter" = String, Path, description = "saved filter id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_filter(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path((sid, fid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    service(&state)?
        .delete_filter(&s, StoreId(id(&sid)?), id(&fid)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
