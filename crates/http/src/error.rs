//! The one table from domain error kinds to HTTP status codes. Internal errors are logged with
//! their detail and answered with a generic message.
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cairn_core::Error;

#[derive(Debug)]
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

impl ApiError {
    pub fn bad_request(msg: impl Into<String>) -> Self {
        ApiError(Error::BadRequest(msg.into()))
    }
}

pub fn status_of(e: &Error) -> StatusCode {
    match e {
        Error::BadRequest(_) => StatusCode::BAD_REQUEST,
        Error::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        Error::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
        Error::Forbidden(_) => StatusCode::FORBIDDEN,
        Error::NotFound => StatusCode::NOT_FOUND,
        Error::Conflict(_) => StatusCode::CONFLICT,
        Error::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
        Error::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(&self.0);
        let message = match &self.0 {
            Error::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                "internal error".to_owned()
            }
            other => other.to_string(),
        };
        let body = serde_json::json!({ "error": { "code": status.as_u16(), "message": message } });
        let mut res = (status, axum::Json(body)).into_response();
        match &self.0 {
            // Counted where the limit refused (`limits`), which knows which limit it was.
            Error::RateLimited(secs) => {
                res.headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, (*secs).into());
            }
            Error::Unavailable(_) => {
                res.headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, 1u64.into());
            }
            _ => {}
        }
        res
    }
}

/// The answer for a path no route serves (a JSON 404 naming that, unlike an entity's 404).
pub fn no_route() -> Response {
    let body = serde_json::json!({ "error": { "code": 404, "message": "no such route" } });
    (StatusCode::NOT_FOUND, axum::Json(body)).into_response()
}
