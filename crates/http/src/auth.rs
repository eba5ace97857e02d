//! xAPI authentication and authorization: an extractor that resolves Basic credentials to a
//! principal, applies the client's rate limit, and checks the client's scopes against what the
//! request does (its resource and method). Every xAPI handler takes a [`Caller`], so no handler
//! runs for a request its credentials do not allow.
use crate::AppState;
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use cairn_core::auth::{Grant, Principal, XapiAction};

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

/// `key:secret` of a Basic `Authorization` header.
fn basic(parts: &Parts) -> Option<(String, String)> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (k, s) = text.split_once(':')?;
    Some((k.to_owned(), s.to_owned()))
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (key, secret) = basic(parts).ok_or_else(unauthorized)?;
        let principal = state
            .auth
            .authenticate(&key, &secret)
            .ok_or_else(unauthorized)?;
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
}
