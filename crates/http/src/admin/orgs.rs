//! Organisations and their members.
use super::dto::*;
use super::{Admin, Body, Params, id, paged, tenancy};
use crate::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cairn_core::tenancy::{OrgId, Role, UserId};

/// Organisations the caller holds a role in (and their descendants). Filters: `organisation`
/// (children of), `name`.
#[utoipa::path(get, path = "/api/v1/organisations", tag = "organisations", params(ListParams),
    responses((status = 200, body = OrganisationPage), (status = 401, body = ErrorBody)))]
pub async fn list_orgs(
    State(state): State<AppState>,
    Admin(s): Admin,
    Params(p): Params<ListParams>,
) -> Result<Json<OrganisationPage>, ApiError> {
    let l = tenancy(&state)?.organisations(&s, &p.query()?, p.organisation.map(OrgId));
    let (items, next_cursor) = paged(l);
    Ok(Json(OrganisationPage { items, next_cursor }))
}

/// Create an organisation: top-level needs a site administrator, nested needs admin in the parent.
#[utoipa::path(post, path = "/api/v1/organisations", tag = "organisations", request_body = CreateOrganisation,
    responses((status = 201, body = OrganisationDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create_org(
    State(state): State<AppState>,
    Admin(s): Admin,
    Body(b): Body<CreateOrganisation>,
) -> Result<Response, ApiError> {
    let o = tenancy(&state)?
        .create_organisation(Some(&s), &b.name, b.parent.map(OrgId))
        .await?;
    Ok((StatusCode::CREATED, Json(OrganisationDto::from(o))).into_response())
}

/// An organisation (viewer or more).
#[utoipa::path(get, path = "/api/v1/organisations/{id}", tag = "organisations",
    params(("id" = String, Path, description = "organisation id")),
    responses((status = 200, body = OrganisationDto), (status = 404, body = ErrorBody)))]
pub async fn get_org(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(oid): Path<String>,
) -> Result<Json<OrganisationDto>, ApiError> {
    Ok(Json(
        tenancy(&state)?.organisation(&s, OrgId(id(&oid)?))?.into(),
    ))
}

/// Rename or move an organisation (admin).
#[utoipa::path(patch, path = "/api/v1/organisations/{id}", tag = "organisations", request_body = UpdateOrganisation,
    params(("id" = String, Path, description = "organisation id")),
    responses((status = 200, body = OrganisationDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_org(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(oid): Path<String>,
    Body(b): Body<UpdateOrganisation>,
) -> Result<Json<OrganisationDto>, ApiError> {
    let parent = b.parent.map(|p| p.map(OrgId));
    Ok(Json(
        tenancy(&state)?
            .update_organisation(&s, OrgId(id(&oid)?), b.name, parent)
            .await?
            .into(),
    ))
}

/// Delete an organisation without stores or child organisations (owner).
#[utoipa::path(delete, path = "/api/v1/organisations/{id}", tag = "organisations",
    params(("id" = String, Path, description = "organisation id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_org(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(oid): Path<String>,
) -> Result<StatusCode, ApiError> {
    tenancy(&state)?
        .delete_organisation(&s, OrgId(id(&oid)?))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The members of an organisation, with their roles, emails and names (admin).
#[utoipa::path(get, path = "/api/v1/organisations/{id}/members", tag = "organisations",
    params(("id" = String, Path, description = "organisation id"), ListParams),
    responses((status = 200, body = MemberPage), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_members(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(oid): Path<String>,
    Params(p): Params<ListParams>,
) -> Result<Json<MemberPage>, ApiError> {
    let l = tenancy(&state)?.members(&s, OrgId(id(&oid)?), &p.query()?)?;
    let (items, next_cursor) = paged(l);
    Ok(Json(MemberPage { items, next_cursor }))
}

fn role(r: &str) -> Result<Role, ApiError> {
    Role::parse(r)
        .ok_or_else(|| ApiError::bad_request("role must be owner, admin, analyst or viewer"))
}

/// Give the user with this email a role in the organisation (admin; owner for the owner role).
/// An email without an account is a 400: site administrators create users.
#[utoipa::path(post, path = "/api/v1/organisations/{id}/members", tag = "organisations", request_body = AddMember,
    params(("id" = String, Path, description = "organisation id")),
    responses((status = 200, body = MemberDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn add_member(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(oid): Path<String>,
    Body(b): Body<AddMember>,
) -> Result<Json<MemberDto>, ApiError> {
    let r = role(&b.role)?;
    let m = tenancy(&state)?
        .set_member_by_email(&s, OrgId(id(&oid)?), &b.email, r)
        .await?;
    Ok(Json(m.into()))
}

/// Give a user a role in the organisation (admin; owner to grant or change the owner role).
#[utoipa::path(put, path = "/api/v1/organisations/{id}/members/{user}", tag = "organisations", request_body = SetMember,
    params(("id" = String, Path, description = "organisation id"), ("user" = String, Path, description = "user id")),
    responses((status = 200, body = MembershipDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn set_member(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path((oid, uid)): Path<(String, String)>,
    Body(b): Body<SetMember>,
) -> Result<Json<MembershipDto>, ApiError> {
    let m = tenancy(&state)?
        .set_member(
            Some(&s),
            OrgId(id(&oid)?),
            UserId(id(&uid)?),
            role(&b.role)?,
        )
        .await?;
    Ok(Json(m.into()))
}

/// Take a user's role in the organisation away.
#[utoipa::path(delete, path = "/api/v1/organisations/{id}/members/{user}", tag = "organisations",
    params(("id" = String, Path, description = "organisation id"), ("user" = String, Path, description = "user id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove_member(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path((oid, uid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    tenancy(&state)?
        .remove_member(&s, OrgId(id(&oid)?), UserId(id(&uid)?))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
