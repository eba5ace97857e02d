//! xAPI authentication and authorization: an extractor that resolves Basic credentials to a
//! principal, applies the client's rate limit, and checks the client's scopes against what the
//! request does (its resource and method). Every xAPI handler takes a [`Caller`], so no handler
//! runs for a request its credentials do not allow. Failed authentications are limited per
//! client key and per source address ([`crate::limits`]).
use crate::AppState;
use crate::error::ApiError;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::headers::authorization::{Authorization, Basic};
use axum_extra::headers::{self, HeaderMapExt};
use cairn_core::auth::{Grant, Principal, XapiAction};
use std::net::SocketAddr;

/// The authenticated client and how much of its store the request may see.
pub struct Caller(pub Principal, pub Grant);

impl Caller {
    /// The authority key to restrict statement reads to (`statements/read/mine`), if any.
    pub fn mine(&self) -> Option<String> {
        (self.1 == Grant::Mine).then(|| self.0.authority_key())
    }
}

/// The action of an xAPI request, from its path (with or without the `/xapi` prefix) and method.
pub fn action_of(path: &str, method: &Method) -> Option<XapiAction> {
    let read = method == Method::GET || method == Method::HEAD;
    let path = path.trim_end_matches('/');
    let pick = |r, w| Some(if read { r } else { w });
    if path.ends_with("/statements") {
        pick(XapiAction::ReadStatements, XapiAction::WriteStatements)
    } else if path.ends_with("/activities/state") {
        pick(XapiAction::ReadState, XapiAction::WriteState)
    } else if path.ends_with("/activities/profile") || path.ends_with("/agents/profile") {
        pick(XapiAction::ReadProfile, XapiAction::WriteProfile)
    } else if path.ends_with("/activities") || path.ends_with("/agents") {
        // Read-only resources: a write gets 405 from the router, after authentication.
        Some(XapiAction::ReadDefinitions)
    } else {
        None
    }
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Basic realm=\"cairn\"")],
        axum::Json(serde_json::json!({"error": {"code": 401, "message": "valid Basic credentials are required"}})),
    )
        .into_response()
}

/// The credentials of a Basic `Authorization` header (the scheme in any case): `Ok(None)`
/// without the header, `Err` when it is there but unreadable.
fn basic(parts: &Parts) -> Result<Option<Authorization<Basic>>, headers::Error> {
    if !parts.headers.contains_key(header::AUTHORIZATION) {
        return Ok(None);
    }
    parts
        .headers
        .typed_try_get::<Authorization<Basic>>()
        .and_then(|b| b.ok_or_else(headers::Error::invalid))
        .map(Some)
}

/// The peer's address, when the server was started with connection info.
fn address(parts: &Parts) -> Option<String> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| a.ip().to_string())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let address = address(parts);
        let limits = &state.limits;
        let refused = |e| ApiError(e).into_response();
        let creds = match basic(parts) {
            Ok(Some(c)) => c,
            Ok(None) => return Err(unauthorized()),
            Err(_) => {
                limits
                    .auth_admit(None, address.as_deref())
                    .map_err(refused)?;
                limits
                    .auth_failed(None, address.as_deref())
                    .map_err(refused)?;
                return Err(unauthorized());
            }
        };
        let key = creds.username();
        limits
            .auth_admit(Some(key), address.as_deref())
            .map_err(refused)?;
        let Some(principal) = state.auth.authenticate(key, creds.password()) else {
            limits
                .auth_failed(Some(key), address.as_deref())
                .map_err(refused)?;
            return Err(unauthorized());
        };
        state
            .limits
            .client(&principal.client_key)
            .map_err(|e| ApiError(e).into_response())?;
        let grant = match action_of(parts.uri.path(), &parts.method) {
            Some(action) => principal.grant(action),
            None => Some(Grant::Full),
        };
        match grant {
            Some(g) => Ok(Caller(principal, g)),
            None => Err(ApiError(cairn_core::Error::Forbidden(
                "the client's scopes do not allow this request".into(),
            ))
            .into_response()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_follow_resource_and_method() {
        let a = |p: &str, m: Method| action_of(p, &m);
        assert_eq!(
            a("/statements", Method::GET),
            Some(XapiAction::ReadStatements)
        );
        assert_eq!(
            a("/xapi/statements", Method::POST),
            Some(XapiAction::WriteStatements)
        );
        assert_eq!(
            a("/activities/state", Method::DELETE),
            Some(XapiAction::WriteState)
        );
        assert_eq!(
            a("/agents/profile", Method::HEAD),
            Some(XapiAction::ReadProfile)
        );
        assert_eq!(
            a("/activities", Method::GET),
            Some(XapiAction::ReadDefinitions)
        );
        assert_eq!(a("/about", Method::GET), None);
    }

    fn parts(authorization: &str) -> Parts {
        let (parts, _) = axum::http::Request::builder()
            .header(header::AUTHORIZATION, authorization)
            .body(())
            .unwrap()
            .into_parts();
        parts
    }

    /// `Authorization: BASIC …` was refused: the scheme is case-insensitive (RFC 9110).
    #[test]
    fn basic_scheme_in_any_case() {
        // "k:s3cret" in base64.
        for scheme in ["Basic", "basic", "BASIC", "bAsIc"] {
            let b = basic(&parts(&format!("{scheme} azpzM2NyZXQ=")))
                .unwrap()
                .unwrap();
            assert_eq!((b.username(), b.password()), ("k", "s3cret"), "{scheme}");
        }
        assert!(basic(&parts("Bearer azpzM2NyZXQ=")).is_err());
        assert!(basic(&parts("Basic !!!")).is_err());
    }
}
