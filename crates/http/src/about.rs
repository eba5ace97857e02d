//! `GET /xapi/about`: works without the version header.
//!
//! A request that declares a 1.0.x `X-Experience-API-Version` is answered with the 1.0.x
//! versions only: clients written for 1.0.x (TinCanPython, for one) refuse an LRS whose list
//! holds a version they do not know. A 2.0.x request, an unversioned one, or one naming a
//! version Cairn does not speak gets the full list.
use crate::protocol::VERSION_HEADER;
use axum::Json;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::IntoResponse;
use cairn_xapi::XapiVersion;
use serde_json::json;

const V1_VERSIONS: &[&str] = &["1.0.0", "1.0.1", "1.0.2", "1.0.3"];
const ALL_VERSIONS: &[&str] = &["1.0.0", "1.0.1", "1.0.2", "1.0.3", "2.0.0"];

/// The versions listed to a request carrying `declared` as its version header, and the
/// version the response's own header names.
pub fn versions_for(declared: Option<&str>) -> (&'static [&'static str], XapiVersion) {
    match declared.and_then(XapiVersion::from_header) {
        Some(XapiVersion::V1_0_3) => (V1_VERSIONS, XapiVersion::V1_0_3),
        Some(XapiVersion::V2_0_0) | None => (ALL_VERSIONS, XapiVersion::V2_0_0),
    }
}

pub async fn get(headers: HeaderMap) -> impl IntoResponse {
    let declared = headers.get(VERSION_HEADER).and_then(|v| v.to_str().ok());
    let (versions, spoken) = versions_for(declared);
    let body = json!({
        "version": versions,
        "extensions": {
            "https://cairn-lrs.org/xapi/about/server": { "name": "Cairn", "version": env!("CARGO_PKG_VERSION") }
        }
    });
    (
        [(VERSION_HEADER, HeaderValue::from_static(spoken.as_str()))],
        Json(body),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_1_0_request_sees_only_the_1_0_versions() {
        for declared in ["1.0", "1.0.0", "1.0.1", "1.0.3", " 1.0.9 "] {
            let (list, spoken) = versions_for(Some(declared));
            assert_eq!(list, ["1.0.0", "1.0.1", "1.0.2", "1.0.3"], "{declared}");
            assert_eq!(spoken, XapiVersion::V1_0_3);
        }
    }

    #[test]
    fn other_requests_see_every_version() {
        for declared in [
            Some("2.0.0"),
            Some("2.0"),
            None,
            Some("0.95"),
            Some("bogus"),
        ] {
            let (list, spoken) = versions_for(declared);
            assert_eq!(
                list,
                ["1.0.0", "1.0.1", "1.0.2", "1.0.3", "2.0.0"],
                "{declared:?}"
            );
            assert_eq!(spoken, XapiVersion::V2_0_0);
        }
    }
}
