//! The admin API, `/api/v1/...`: JSON over HTTP for every entity of the tenancy (organisations,
//! stores, clients, users, members, personal tokens, sessions) plus login. Callers authenticate with the
//! session cookie set by `POST /api/v1/auth/login` or a personal token (`Authorization: Bearer`).
//! Every handler extracts, makes one call on the `TenancyService` (which checks the caller's
//! role) and maps the answer to a DTO. The OpenAPI document, `GET /api/v1/openapi.json`, is
//! generated from the same handler annotations that build the router, so it matches the routes.
mod analytics;
mod analytics_schema;
pub mod audit;
mod common_responses;
mod dash_dto;
mod dashboards;
mod dto;
mod erasures;
mod exports;
mod filters;
mod forwarders;
mod fwd_dto;
mod link_dto;
mod links;
mod orgs;
mod personas;
mod sessions;
mod shared;
mod signin;
mod stores;
mod users;

use crate::AppState;
use crate::error::ApiError;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use axum::{Json, Router};
use axum_extra::extract::cookie::CookieJar;
use axum_extra::headers::HeaderMapExt;
use axum_extra::headers::authorization::{Authorization, Bearer};
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
        description = "Organisations, stores, clients, users and roles, analytics, exports, saved filters, personas, dashboards, share links, statement forwarders erasures and the audit log of a Cairn LRS. See docs/api.md."
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
        .routes(routes!(signin::options))
        .routes(routes!(signin::setup_check))
        .routes(routes!(signin::setup))
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
        .routes(routes!(sessions::list_sessions))
        .routes(routes!(sessions::end_session))
        .routes(routes!(orgs::list_orgs, orgs::create_org))
        .routes(routes!(orgs::get_org, orgs::update_org, orgs::delete_org))
        .routes(routes!(orgs::list_members, orgs::add_member))
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
        .routes(routes!(erasures::create_erasure))
        .routes(routes!(erasures::get_erasure))
        .routes(routes!(erasures::batch_delete))
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
        .routes(routes!(
            forwarders::list_forwarders,
            forwarders::create_forwarder
        ))
        .routes(routes!(
            forwarders::get_forwarder,
            forwarders::update_forwarder,
            forwarders::delete_forwarder
        ))
        .routes(routes!(forwarders::replay_forwarder))
        .routes(routes!(forwarders::list_dead_letters))
        .routes(routes!(forwarders::retry_dead_letter))
        .routes(routes!(forwarders::discard_dead_letter))
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
        .routes(routes!(audit::list_audit))
}

/// The OpenAPI document of the admin API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = api().split_for_parts().1;
    common_responses::add(&mut doc);
    doc
}

/// The admin routes and `GET /api/v1/openapi.json`, and the single sign-on browser redirects
/// (HTML, not JSON: outside the OpenAPI document).
pub fn routes() -> Router<AppState> {
    let (router, mut doc) = api().split_for_parts();
    common_responses::add(&mut doc);
    let router = router
        .route(
            "/api/v1/auth/oidc/start",
            axum::routing::get(signin::oidc_start),
        )
        .route(
            "/api/v1/auth/oidc/callback",
            axum::routing::get(signin::oidc_callback),
        );
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
/// A write (any method but GET, HEAD and OPTIONS) authenticated by the cookie must also come
/// from the web app's own origin ([`same_origin`]) and carry its body as JSON ([`body_type`]):
/// a browser sends the cookie along with any site's form or `text/plain` request, never with
/// a JSON one from another origin. Personal tokens are not sent by browsers on their own, so
/// token requests are not checked.
pub struct Admin(pub Subject);

/// The value of a cookie of the request.
pub(crate) fn cookie(parts: &Parts, name: &str) -> Option<String> {
    CookieJar::from_headers(&parts.headers)
        .get(name)
        .map(|c| c.value().to_owned())
}

fn forbidden(msg: &str) -> ApiError {
    ApiError(Error::Forbidden(msg.into()))
}

/// The `scheme://host[:port]` a header names (`Origin`, or the start of `Referer`).
fn origin_of(value: &str) -> Option<&str> {
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))?;
    let end = rest.find('/').unwrap_or(rest.len());
    Some(&value[..value.len() - rest.len() + end])
}

/// The request comes from this server's own origin (its `Host`, over https when the cookie is
/// `Secure`) or one of `admin_allowed_origins`.
fn same_origin(parts: &Parts, state: &AppState) -> Result<(), ApiError> {
    let header = |h| parts.headers.get(h).and_then(|v| v.to_str().ok());
    let origin = match header(header::ORIGIN) {
        Some(o) => Some(o),
        None => header(header::REFERER).and_then(origin_of),
    }
    .ok_or_else(|| {
        forbidden("a write with the session cookie must carry an Origin header (browsers send one)")
    })?;
    let allowed = &state.config.admin_allowed_origins;
    if allowed
        .iter()
        .any(|a| a.trim_end_matches('/').eq_ignore_ascii_case(origin))
    {
        return Ok(());
    }
    let host = header(header::HOST).unwrap_or_default();
    let schemes: &[&str] = if state.config.cookie_secure {
        &["https://"]
    } else {
        &["https://", "http://"]
    };
    let ours = !host.is_empty()
        && schemes.iter().any(|s| {
            origin
                .strip_prefix(s)
                .is_some_and(|h| h.eq_ignore_ascii_case(host))
        });
    if ours {
        Ok(())
    } else {
        Err(forbidden(&format!(
            "a write with the session cookie from origin {origin:?} is refused: only this \
             server's own origin and admin_allowed_origins may write with the cookie"
        )))
    }
}

/// A body, when there is one, is JSON (CSV for the persona import).
fn body_type(parts: &Parts) -> Result<(), ApiError> {
    let has_body = parts.headers.contains_key(header::TRANSFER_ENCODING)
        || parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() != "0");
    if !has_body {
        return Ok(());
    }
    let want = if parts.uri.path().ends_with("/personas/import") {
        "text/csv"
    } else {
        "application/json"
    };
    let given = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = given.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case(want) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "the body must be sent as Content-Type: {want}, not {given:?}"
        )))
    }
}

fn is_write(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let t = tenancy(state)?;
        let bearer = parts.headers.typed_get::<Authorization<Bearer>>();
        let subject = match bearer {
            Some(b) => t.token(b.token().trim()),
            None => match cookie(parts, SESSION_COOKIE) {
                Some(sid) => {
                    if is_write(&parts.method) {
                        same_origin(parts, state)?;
                        body_type(parts)?;
                    }
                    t.session(&sid)
                }
                None => None,
            },
        }
        .ok_or_else(|| {
            ApiError(Error::Unauthenticated(
                "log in, or send a personal token as Authorization: Bearer".into(),
            ))
        })?;
        state.limits.user(&subject.user.0.to_string())?;
        if let Some(slot) = parts.extensions.get::<audit::AuditSlot>() {
            slot.set(subject);
        }
        Ok(Admin(subject))
    }
}

/// A JSON body whose rejections are the API's JSON errors (400; 413 past the body limit).
pub struct Body<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        Json::<T>::from_request(req, state)
            .await
            .map(|Json(v)| Body(v))
            .map_err(|e| match e.status() {
                StatusCode::PAYLOAD_TOO_LARGE => crate::body_too_large(state),
                _ => ApiError::bad_request(e.body_text()),
            })
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
