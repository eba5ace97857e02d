//! Signing in without a password, and what the sign-in screen offers: the first run's set-up
//! link (`/api/v1/setup`), single sign-on with OpenID Connect (`/api/v1/auth/oidc/...`, browser
//! redirects answered with small HTML pages when they fail) and `/api/v1/auth/options`.
use super::dto::{ErrorBody, MeDto};
use super::users::{me_dto, session_cookie};
use super::{Body, tenancy};
use crate::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use cairn_core::Error;
use cairn_core::tenancy::{SetupSpec, Subject};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Keeps the state of a single sign-on in progress in the browser that started it.
pub const SSO_COOKIE: &str = "cairn_oidc";
const CALLBACK: &str = "/api/v1/auth/oidc/callback";

#[derive(Serialize, ToSchema)]
pub struct SignInOptions {
    /// Email and password sign-in is on.
    pub password: bool,
    /// Single sign-on, when configured.
    pub sso: Option<SsoOption>,
}

#[derive(Serialize, ToSchema)]
pub struct SsoOption {
    /// The provider's name, for "Sign in with <name>".
    pub name: String,
    /// Where the browser goes to start the sign-in.
    pub start: String,
}

/// How this Cairn signs people in (no authentication needed).
#[utoipa::path(get, path = "/api/v1/auth/options", tag = "auth", security(),
    responses((status = 200, body = SignInOptions)))]
pub async fn options(State(state): State<AppState>) -> Json<SignInOptions> {
    Json(SignInOptions {
        password: state.config.password_login,
        sso: state.sso.as_ref().map(|s| SsoOption {
            name: s.policy().provider_name.clone(),
            start: "/api/v1/auth/oidc/start".into(),
        }),
    })
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupToken {
    /// The token of the set-up link `cairn serve` printed.
    pub token: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupBody {
    pub token: String,
    pub email: String,
    pub name: Option<String>,
    pub password: String,
}

/// Whether a set-up link can still be used (403: wrong or expired; 409: already set up).
#[utoipa::path(post, path = "/api/v1/setup/check", tag = "auth", security(),
    request_body = SetupToken,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn setup_check(
    State(state): State<AppState>,
    Body(b): Body<SetupToken>,
) -> Result<StatusCode, ApiError> {
    tenancy(&state)?.check_setup(&b.token)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Creates the site administrator with the set-up link (once) and signs them in.
#[utoipa::path(post, path = "/api/v1/setup", tag = "auth", security(),
    request_body = SetupBody,
    responses((status = 200, body = MeDto), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn setup(
    State(state): State<AppState>,
    Body(b): Body<SetupBody>,
) -> Result<Response, ApiError> {
    let (sid, user) = tenancy(&state)?
        .complete_setup(SetupSpec {
            token: b.token,
            email: b.email,
            name: b.name,
            password: b.password,
        })
        .await?;
    let s = Subject {
        user: user.id,
        site_admin: user.site_admin,
    };
    let mut res = Json(me_dto(&state, &s)?).into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&state, &sid, false));
    Ok(res)
}

/// The state cookie: Lax (the provider's redirect back is a cross-site navigation, which
/// a Strict cookie would not join) and only sent to the callback. The server forgets the state
/// after `oidc_flow_minutes` whatever the cookie says.
fn sso_cookie(state: &AppState, value: &str, clear: bool) -> HeaderValue {
    let mut c = Cookie::build((SSO_COOKIE, value.to_owned()))
        .path(CALLBACK)
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config.cookie_secure)
        .build();
    if clear {
        c.make_removal();
    }
    HeaderValue::from_str(&c.to_string())
        .unwrap_or_else(|_| HeaderValue::from_static("cairn_oidc=; Max-Age=0"))
}

/// A sign-in that cannot go on, as a page for the person in the browser.
fn page(e: Error) -> Response {
    let status = crate::error::status_of(&e);
    if status.is_server_error() {
        tracing::warn!(error = %e, "single sign-on failed");
    }
    let message = match &e {
        Error::Internal(_) => "Something went wrong on the server; try again later.".to_owned(),
        other => {
            let m = other.to_string();
            let mut chars = m.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or(m)
        }
    };
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Sign-in failed · Cairn</title>\
         <style>body{{font-family:system-ui,sans-serif;margin:3rem auto;max-width:36rem;\
         padding:0 1rem;color:#1f2933;line-height:1.5}}a{{color:#1d4ed8}}</style></head>\
         <body><main><h1>Sign-in failed</h1><p>{}</p>\
         <p><a href=\"/login\">Back to the sign-in page</a></p></main></body></html>",
        crate::web::escape(&message)
    );
    let mut res = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn redirect(to: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn not_configured() -> Error {
    Error::BadRequest("single sign-on is not configured on this Cairn (oidc_issuer_url)".into())
}

/// Starts single sign-on: 303 to the identity provider, or an HTML page saying why not (400 not
/// configured, 503 the provider cannot be reached).
pub async fn oidc_start(State(state): State<AppState>) -> Response {
    let Some(sso) = state.sso.as_ref() else {
        return page(not_configured());
    };
    match sso.start().await {
        Ok((url, st)) => {
            let mut res = redirect(&url);
            res.headers_mut()
                .insert(header::SET_COOKIE, sso_cookie(&state, &st, false));
            res
        }
        Err(e) => page(e),
    }
}

#[derive(Deserialize)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    /// Set by the provider when the sign-in failed there.
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// The identity provider's redirect back: signs the user in and 303 to the web app, or an HTML
/// page saying why not (400 a bad or tampered callback, 403 refused, 503 the provider failed).
pub async fn oidc_callback(
    State(state): State<AppState>,
    jar: CookieJar,
    Query(q): Query<CallbackParams>,
) -> Response {
    let Some(sso) = state.sso.as_ref() else {
        return page(not_configured());
    };
    let result = async {
        if let Some(err) = q.error {
            let what = q.error_description.unwrap_or_default();
            return Err(Error::Forbidden(format!(
                "the identity provider did not sign you in ({err}{}{what})",
                if what.is_empty() { "" } else { ": " }
            )));
        }
        let (Some(code), Some(st)) = (q.code, q.state) else {
            return Err(Error::BadRequest(
                "the identity provider's answer lacks its code or state parameter".into(),
            ));
        };
        let kept = jar.get(SSO_COOKIE).map(|c| c.value().to_owned());
        sso.finish(&st, kept.as_deref(), &code).await
    }
    .await;
    let mut res = match result {
        Ok((sid, _)) => {
            let mut res = redirect("/");
            res.headers_mut()
                .append(header::SET_COOKIE, session_cookie(&state, &sid, false));
            res
        }
        Err(e) => page(e),
    };
    res.headers_mut()
        .append(header::SET_COOKIE, sso_cookie(&state, "", true));
    res
}
