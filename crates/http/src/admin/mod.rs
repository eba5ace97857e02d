//! The admin API, `/api/v1/...`: JSON over HTTP for every entity of the tenancy (organisations,
//! stores, clients, users, members, personal tokens) plus login. Callers authenticate with the
//! session cookie set by `POST /api/v1/auth/login` or a personal token (`Authorization: Bearer`).
//! Every handler extracts, makes one call on the `TenancyService` (which checks the caller's
//! role) and maps the answer to a DTO. The OpenAPI document, `GET /api/v1/openapi.json`, is
//! generated from the same handler annotations that build the router, so it matches the routes.
mod analytics;
mod analytics_schema;
mod dash_dto;
mod dashboards;
mod dto;
mod exports;
mod filters;
mod link_dto;
mod links;
mod orgs;
mod personas;
mod shared;
mod stores;
mod users;

use crate::AppState;
use crate::error::ApiError;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use axum::{Json, Router};
use cairn_core::Error;
use cairn_core::tenancy::{ListQuery, Listed, Subject, TenancyService};
use serde::de::DeserializeOwned;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub const SESSION_COOKIE: &str = "cairn_session";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Cairn admin API",
        version = "1",
        description = "Organisations, stores, clients, users and roles, analytics, exports, saved filters, personas, dashboards and share links of a Cairn LRS. See docs/api.md."
    ),
    modifiers(&Security),
    security(("session" = []), ("token" = []))
)]
struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let c = api.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(SESSION_COOKIE))),
        );
        c.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(users::login))
        .routes(routes!(users::logout))
        .routes(routes!(users::me))
        .routes(routes!(users::list_tokens, users::create_token))
        .routes(routes!(users::delete_token))
        .routes(routes!(users::list_users, users::create_user))
        .routes(routes!(
            users::get_user,
            users::update_user,
            users::delete_user
        ))
        .routes(routes!(orgs::list_orgs, orgs::create_org))
        .routes(routes!(orgs::get_org, orgs::update_org, orgs::delete_org))
        .routes(routes!(orgs::list_members))
        .routes(routes!(orgs::set_member, orgs::remove_member))
        .routes(routes!(stores::list_stores, stores::create_store))
        .routes(routes!(
            stores::get_store,
            stores::update_store,
            stores::delete_store
        ))
        .routes(routes!(stores::list_clients, stores::create_client))
        .routes(routes!(
            stores::get_client,
            stores::update_client,
            stores::delete_client
        ))
        .routes(routes!(stores::rotate_client))
        .routes(routes!(analytics::aggregate))
        .routes(routes!(analytics::funnel))
        .routes(routes!(analytics::names))
        .routes(routes!(analytics::values))
        .routes(routes!(analytics::query_statements))
        .routes(routes!(
            exports::export_statements,
            exports::export_download
        ))
        .routes(routes!(filters::list_filters, filters::create_filter))
        .routes(routes!(
            filters::get_filter,
            filters::update_filter,
            filters::delete_filter
        ))
        .routes(routes!(personas::list_personas, personas::create_persona))
        .routes(routes!(personas::lookup_persona))
        .routes(routes!(personas::import_personas))
        .routes(routes!(
            personas::get_persona,
            personas::update_persona,
            personas::delete_persona
        ))
        .routes(routes!(personas::add_identifier))
        .routes(routes!(personas::remove_identifier))
        .routes(routes!(personas::merge_persona))
        .routes(routes!(personas::split_persona))
        .routes(routes!(
            dashboards::list_dashboards,
            dashboards::create_dashboard
        ))
        .routes(routes!(dashboards::from_template))
        .routes(routes!(dashboards::list_templates))
        .routes(routes!(
            dashboards::get_dashboard,
            dashboards::update_dashboard,
            dashboards::delete_dashboard
        ))
        .routes(routes!(dashboards::set_layout))
        .routes(routes!(dashboards::duplicate_dashboard))
        .routes(routes!(dashboards::create_widget))
        .routes(routes!(
            dashboards::update_widget,
            dashboards::delete_widget
        ))
        .routes(routes!(dashboards::widget_data))
        .routes(routes!(dashboards::widget_preview))
        .routes(routes!(links::list_links, links::create_link))
        .routes(routes!(links::update_link, links::revoke_link))
        .routes(routes!(shared::store_progress))
        .routes(routes!(shared::shared_dashboard))
        .routes(routes!(shared::shared_widget_data))
        .routes(routes!(shared::shared_progress))
}

/// The OpenAPI document of the admin API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().split_for_parts().1
}

/// The admin routes and `GET /api/v1/openapi.json`.
pub fn routes() -> Router<AppState> {
    let (router, doc) = api().split_for_parts();
    let json = std::sync::Arc::new(doc.to_json().unwrap_or_else(|_| "{}".into()));
    router.route(
        "/api/v1/openapi.json",
        axum::routing::get(move || {
            let json = json.clone();
            async move {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    (*json).clone(),
                )
            }
        }),
    )
}

fn tenancy(state: &AppState) -> Result<&TenancyService, ApiError> {
    state.tenancy.as_ref().ok_or(ApiError(Error::NotFound))
}

/// A logged-in user: session cookie or personal token, within the per-user rate limit.
pub struct Admin(pub Subject);

pub(crate) fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let t = tenancy(state)?;
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let subject = match bearer {
            Some(b) => t.token(b.trim()),
            None => cookie(parts, SESSION_COOKIE).and_then(|c| t.session(c)),
        }
        .ok_or_else(|| {
            ApiError(Error::Unauthenticated(
                "log in, or send a personal token as Authorization: Bearer".into(),
            ))
        })?;
        state.limits.user(&subject.user.0.to_string())?;
        Ok(Admin(subject))
    }
}

/// A JSON body whose rejections are the API's JSON errors (400).
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        Json::<T>::from_request(req, state)
            .await
            .map(|Json(v)| Body(v))
            .map_err(|e| ApiError::bad_request(e.body_text()))
    }
}

/// Query parameters whose rejections are the API's JSON errors (400).
pub struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| Params(v))
            .map_err(|e| ApiError::bad_request(e.body_text()))
    }
}

/// An id from the path.
pub(crate) fn id(s: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(s).map_err(|_| ApiError::bad_request(format!("{s:?} is not an id")))
}

impl dto::ListParams {
    fn query(&self) -> Result<ListQuery, ApiError> {
        let after = self
            .cursor
            .as_deref()
            .map(|c| {
                Uuid::parse_str(c).map_err(|_| ApiError::bad_request("the cursor is not valid"))
            })
            .transpose()?;
        Ok(ListQuery {
            after,
            limit: self.limit.unwrap_or(100).clamp(1, 1000),
            name: self.name.clone(),
        })
    }
}

/// Maps a page of entities to a page of DTOs.
fn paged<E, D: From<E>>(l: Listed<E>) -> (Vec<D>, Option<String>) {
    (
        l.items.into_iter().map(D::from).collect(),
        l.next.map(|u| u.to_string()),
    )
}

fn scopes(v: Vec<String>) -> Result<Vec<cairn_core::tenancy::Scope>, ApiError> {
    v.iter()
        .map(|s| {
            cairn_core::tenancy::Scope::parse(s)
                .ok_or_else(|| ApiError::bad_request(format!("unknown scope {s:?}")))
        })
        .collect()
}
