//! Stores and their clients.
use super::dto::*;
use super::{Admin, Body, Params, id, paged, scopes, tenancy};
use crate::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cairn_core::StoreId;
use cairn_core::tenancy::{ClientId, ClientSpec, OrgId};

/// Stores the caller can see (viewer or more). Filters: `organisation`, `name`.
#[utoipa::path(get, path = "/api/v1/stores", tag = "stores", params(ListParams),
    responses((status = 200, body = StorePage), (status = 401, body = ErrorBody)))]
pub async fn list_stores(
    State(state): State<AppState>,
    Admin(s): Admin,
    Params(p): Params<ListParams>,
) -> Result<Json<StorePage>, ApiError> {
    let l = tenancy(&state)?.stores(&s, &p.query()?, p.organisation.map(OrgId));
    let (items, next_cursor) = paged(l);
    Ok(Json(StorePage { items, next_cursor }))
}

/// Create a store in an organisation (admin).
#[utoipa::path(post, path = "/api/v1/stores", tag = "stores", request_body = CreateStore,
    responses((status = 201, body = StoreDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create_store(
    State(state): State<AppState>,
    Admin(s): Admin,
    Body(b): Body<CreateStore>,
) -> Result<Response, ApiError> {
    let x = tenancy(&state)?
        .create_store(Some(&s), OrgId(b.organisation), &b.name)
        .await?;
    Ok((StatusCode::CREATED, Json(StoreDto::from(x))).into_response())
}

/// A store (viewer or more).
#[utoipa::path(get, path = "/api/v1/stores/{id}", tag = "stores",
    params(("id" = String, Path, description = "store id")),
    responses((status = 200, body = StoreDto), (status = 404, body = ErrorBody)))]
pub async fn get_store(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(sid): Path<String>,
) -> Result<Json<StoreDto>, ApiError> {
    Ok(Json(tenancy(&state)?.store(&s, StoreId(id(&sid)?))?.into()))
}

/// Rename a store or change its retention (admin).
#[utoipa::path(patch, path = "/api/v1/stores/{id}", tag = "stores", request_body = UpdateStore,
    params(("id" = String, Path, description = "store id")),
    responses((status = 200, body = StoreDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_store(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(sid): Path<String>,
    Body(b): Body<UpdateStore>,
) -> Result<Json<StoreDto>, ApiError> {
    Ok(Json(
        tenancy(&state)?
            .update_store(&s, StoreId(id(&sid)?), b.name, b.retention_months)
            .await?
            .into(),
    ))
}

/// Delete a store and its clients (admin). Its statements, documents, attachments, personas
/// and ClickHouse rows are then purged in the background, and leave the disk
/// (docs/operations.md, "Erasure, deletion and retention").
#[utoipa::path(delete, path = "/api/v1/stores/{id}", tag = "stores",
    params(("id" = String, Path, description = "store id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_store(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(sid): Path<String>,
) -> Result<StatusCode, ApiError> {
    let store = StoreId(id(&sid)?);
    match &state.erasures {
        Some(e) => {
            e.delete_store(&s, store).await?;
        }
        None => tenancy(&state)?.delete_store(&s, store).await?,
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Clients of the stores the caller administers. Filters: `store`, `name`.
#[utoipa::path(get, path = "/api/v1/clients", tag = "clients", params(ListParams),
    responses((status = 200, body = ClientPage), (status = 401, body = ErrorBody)))]
pub async fn list_clients(
    State(state): State<AppState>,
    Admin(s): Admin,
    Params(p): Params<ListParams>,
) -> Result<Json<ClientPage>, ApiError> {
    let l = tenancy(&state)?.clients(&s, &p.query()?, p.store.map(StoreId));
    let (items, next_cursor) = paged(l);
    Ok(Json(ClientPage { items, next_cursor }))
}

/// Create a client of a store (admin); its secret is shown once.
#[utoipa::path(post, path = "/api/v1/clients", tag = "clients", request_body = CreateClient,
    responses((status = 201, body = ClientWithSecret), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create_client(
    State(state): State<AppState>,
    Admin(s): Admin,
    Body(b): Body<CreateClient>,
) -> Result<Response, ApiError> {
    let spec = ClientSpec {
        name: Some(b.name),
        scopes: b.scopes.map(scopes).transpose()?,
        ..ClientSpec::default()
    };
    let (c, secret) = tenancy(&state)?
        .create_client(Some(&s), StoreId(b.store), spec)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ClientWithSecret {
            client: c.into(),
            secret: secret.secret,
        }),
    )
        .into_response())
}

/// A client (admin).
#[utoipa::path(get, path = "/api/v1/clients/{id}", tag = "clients",
    params(("id" = String, Path, description = "client id")),
    responses((status = 200, body = ClientDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_client(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(cid): Path<String>,
) -> Result<Json<ClientDto>, ApiError> {
    Ok(Json(
        tenancy(&state)?.client(&s, ClientId(id(&cid)?))?.into(),
    ))
}

/// Rename a client, change its scopes, disable or enable it (admin).
#[utoipa::path(patch, path = "/api/v1/clients/{id}", tag = "clients", request_body = UpdateClient,
    params(("id" = String, Path, description = "client id")),
    responses((status = 200, body = ClientDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_client(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(cid): Path<String>,
    Body(b): Body<UpdateClient>,
) -> Result<Json<ClientDto>, ApiError> {
    let spec = ClientSpec {
        name: b.name,
        scopes: b.scopes.map(scopes).transpose()?,
        disabled: b.disabled,
        ..ClientSpec::default()
    };
    Ok(Json(
        tenancy(&state)?
            .update_client(&s, ClientId(id(&cid)?), spec)
            .await?
            .into(),
    ))
}

/// Delete a client (admin).
#[utoipa::path(delete, path = "/api/v1/clients/{id}", tag = "clients",
    params(("id" = String, Path, description = "client id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_client(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(cid): Path<String>,
) -> Result<StatusCode, ApiError> {
    tenancy(&state)?
        .delete_client(&s, ClientId(id(&cid)?))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new secret for the client, shown once; the old one stops working at once (admin).
#[utoipa::path(post, path = "/api/v1/clients/{id}/rotate", tag = "clients",
    params(("id" = String, Path, description = "client id")),
    responses((status = 200, body = ClientWithSecret), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn rotate_client(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(cid): Path<String>,
) -> Result<Json<ClientWithSecret>, ApiError> {
    let (c, secret) = tenancy(&state)?
        .rotate_client(Some(&s), ClientId(id(&cid)?))
        .await?;
    Ok(Json(ClientWithSecret {
        client: c.into(),
        secret: secret.secret,
    }))
}
