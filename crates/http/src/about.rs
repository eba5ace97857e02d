//! `GET /xapi/about`: works without the version header.
use axum::Json;
use axum::http::HeaderValue;
use axum::response::IntoResponse;
use serde_json::json;

pub async fn get() -> impl IntoResponse {
    let body = json!({
        "version": ["1.0.0", "1.0.1", "1.0.2", "1.0.3", "2.0.0"],
        "extensions": {
            "https://cairn-lrs.org/xapi/about/server": { "name": "Cairn", "version": env!("CARGO_PKG_VERSION") }
        }
    });
    (
        [(
            "x-experience-api-version",
            HeaderValue::from_static("2.0.0"),
        )],
        Json(body),
    )
}
