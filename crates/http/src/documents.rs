//! The document resources: `/xapi/activities/state`, `/xapi/activities/profile` and
//! `/xapi/agents/profile` (GET|HEAD|PUT|POST|DELETE), plus the read-only `/xapi/activities` and
//! `/xapi/agents`. Handlers parse and validate the parameters, call the document service and map
//! its answer; preconditions and merges are decided by the writer (see `cairn_core::documents`).
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::Extension;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use cairn_core::documents::{
    DocumentKey, DocumentKind, DocumentRequest, DocumentScope, DocumentWrite, Preconditions,
    PutPolicy,
};
use cairn_core::time_fmt::http_date;
use cairn_xapi::{Actor, XapiVersion};
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/activities/state", resource(DocumentKind::State))
        .route(
            "/activities/profile",
            resource(DocumentKind::ActivityProfile),
        )
        .route("/agents/profile", resource(DocumentKind::AgentProfile))
        .route("/activities", get(crate::activities::get))
        .route("/agents", get(crate::agents::get))
}

/// What every document handler extracts.
type Args = (
    State<AppState>,
    Extension<XapiVersion>,
    Caller,
    HeaderMap,
    RawQuery,
    Bytes,
);

fn resource(kind: DocumentKind) -> MethodRouter<AppState> {
    get(move |s, v, c, h, q, b| handle(kind, Method::Get, (s, v, c, h, q, b)))
        .put(move |s, v, c, h, q, b| handle(kind, Method::Put, (s, v, c, h, q, b)))
        .post(move |s, v, c, h, q, b| handle(kind, Method::Post, (s, v, c, h, q, b)))
        .delete(move |s, v, c, h, q, b| handle(kind, Method::Delete, (s, v, c, h, q, b)))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Put,
    Post,
    Delete,
}

/// Query parameters, each at most once, from an allowed set.
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub(crate) fn parse(raw: Option<&str>, allowed: &[&str]) -> Result<Self, ApiError> {
        let mut out: Vec<(String, String)> = Vec::new();
        for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            if !allowed.contains(&k.as_ref()) {
                return Err(ApiError::bad_request(format!(
                    "unknown parameter {k:?} (this resource takes {})",
                    allowed.join(", ")
                )));
            }
            if out.iter().any(|(e, _)| *e == k) {
                return Err(ApiError::bad_request(format!(
                    "parameter {k:?} is given twice"
                )));
            }
            out.push((k.into_owned(), v.into_owned()));
        }
        Ok(Params(out))
    }

    pub(crate) fn get(&self, k: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
    }

    pub(crate) fn required(&self, k: &str) -> Result<&str, ApiError> {
        match self.get(k) {
            Some(v) if !v.is_empty() => Ok(v),
            Some(_) => Err(ApiError::bad_request(format!(
                "parameter {k} must not be empty"
            ))),
            None => Err(ApiError::bad_request(format!("parameter {k} is required"))),
        }
    }

    /// The `agent` parameter: an Agent or identified Group, as its parsed actor and IFI key.
    pub(crate) fn agent(&self, version: XapiVersion) -> Result<(Actor, String), ApiError> {
        let raw = self.required("agent")?;
        let actor = cairn_xapi::parse_agent_param(raw, version)
            .map_err(|e| ApiError::bad_request(format!("agent: {e}")))?;
        let key = actor.ifi_key().ok_or_else(|| {
            ApiError::bad_request("agent must be an Agent or an identified Group")
        })?;
        Ok((actor, key))
    }

    /// An IRI parameter such as `activityId`.
    pub(crate) fn iri(&self, k: &str) -> Result<&str, ApiError> {
        let v = self.required(k)?;
        cairn_xapi::parse_iri_param(k, v).map_err(|e| ApiError(e.into()))
    }

    fn registration(&self) -> Result<Option<Uuid>, ApiError> {
        self.get("registration")
            .map(|v| {
                cairn_xapi::parse_uuid_param("registration", v).map_err(|e| ApiError(e.into()))
            })
            .transpose()
    }

    /// `since`, in epoch microseconds.
    fn since(&self) -> Result<Option<i64>, ApiError> {
        self.get("since")
            .map(|v| {
                cairn_xapi::parse_timestamp_param("since", v)
                    .map(|ns| (ns / 1000) as i64)
                    .map_err(|e| ApiError(e.into()))
            })
            .transpose()
    }
}

/// One document, or the set of documents a GET lists / a DELETE removes.
enum Target {
    One(DocumentKey),
    Many(DocumentScope),
}

/// The document (or documents) a request addresses, from its parameters.
fn target(
    kind: DocumentKind,
    method: Method,
    p: &Params,
    version: XapiVersion,
) -> Result<Target, ApiError> {
    let id_param = match kind {
        DocumentKind::State => "stateId",
        _ => "profileId",
    };
    let id = match p.get(id_param) {
        Some("") => {
            return Err(ApiError::bad_request(format!(
                "parameter {id_param} must not be empty"
            )));
        }
        other => other,
    };
    // Only GET (and, for State, DELETE) may address several documents.
    let many_ok =
        method == Method::Get || (method == Method::Delete && kind == DocumentKind::State);
    if id.is_none() && !many_ok {
        return Err(ApiError::bad_request(format!(
            "parameter {id_param} is required"
        )));
    }
    Ok(match kind {
        DocumentKind::State => {
            let activity = p.iri("activityId")?;
            let (_, agent) = p.agent(version)?;
            let registration = p.registration()?;
            match id {
                Some(id) => Target::One(DocumentKey::state(activity, &agent, registration, id)),
                None => Target::Many(DocumentScope::state(activity, &agent, registration)),
            }
        }
        DocumentKind::ActivityProfile => {
            let activity = p.iri("activityId")?;
            match id {
                Some(id) => Target::One(DocumentKey::activity_profile(activity, id)),
                None => Target::Many(DocumentScope::activity_profiles(activity)),
            }
        }
        DocumentKind::AgentProfile => {
            let (_, agent) = p.agent(version)?;
            match id {
                Some(id) => Target::One(DocumentKey::agent_profile(&agent, id)),
                None => Target::Many(DocumentScope::agent_profiles(&agent)),
            }
        }
    })
}

fn allowed(kind: DocumentKind) -> &'static [&'static str] {
    match kind {
        DocumentKind::State => &["activityId", "agent", "registration", "stateId", "since"],
        DocumentKind::ActivityProfile => &["activityId", "profileId", "since"],
        DocumentKind::AgentProfile => &["agent", "profileId", "since"],
    }
}

fn header_str(h: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// xAPI 1.0.3 requires a precondition on profile PUTs and none on State; 2.0 requires one when
/// the PUT would overwrite an existing document, for every document resource.
fn put_policy(kind: DocumentKind, version: XapiVersion) -> PutPolicy {
    match (version, kind) {
        (XapiVersion::V1_0_3, DocumentKind::State) => PutPolicy::Optional,
        (XapiVersion::V1_0_3, _) => PutPolicy::Always,
        (XapiVersion::V2_0_0, _) => PutPolicy::WhenExists,
    }
}

fn set_last_modified(res: &mut Response, us: i64) {
    if let Ok(v) = HeaderValue::from_str(&http_date(us)) {
        res.headers_mut().insert(header::LAST_MODIFIED, v);
    }
}

async fn handle(kind: DocumentKind, method: Method, args: Args) -> Result<Response, ApiError> {
    let (State(state), Extension(version), caller, headers, RawQuery(raw), body) = args;
    let p = Params::parse(raw.as_deref(), allowed(kind))?;
    let since = p.since()?;
    let target = target(kind, method, &p, version)?;
    let store = caller.0.store;
    let docs = &state.documents;
    let preconditions = Preconditions::parse(
        header_str(&headers, header::IF_MATCH),
        header_str(&headers, header::IF_NONE_MATCH),
    );
    let write = match (method, target) {
        (Method::Get, Target::One(key)) => {
            let doc = docs.get(store, key).await?;
            let ct = if doc.content_type.is_empty() {
                "application/octet-stream"
            } else {
                &doc.content_type
            };
            let ct = HeaderValue::from_str(ct)
                .unwrap_or(HeaderValue::from_static("application/octet-stream"));
            let etag = HeaderValue::from_str(&doc.etag_header())
                .map_err(|e| ApiError(cairn_core::Error::Internal(e.to_string())))?;
            let mut res = (
                [(header::CONTENT_TYPE, ct), (header::ETAG, etag)],
                doc.bytes,
            )
                .into_response();
            set_last_modified(&mut res, doc.updated_us);
            return Ok(res);
        }
        (Method::Get, Target::Many(scope)) => {
            let ids = docs.ids(store, scope, since).await?;
            let mut res = axum::Json(ids.ids).into_response();
            if let Some(us) = ids.last_modified_us {
                set_last_modified(&mut res, us);
            }
            return Ok(res);
        }
        (Method::Delete, Target::One(key)) => DocumentWrite::Delete { key },
        (Method::Delete, Target::Many(scope)) => DocumentWrite::DeleteAll { scope },
        (Method::Put | Method::Post, Target::One(key)) => {
            let content_type = header_str(&headers, header::CONTENT_TYPE)
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| "application/octet-stream".to_owned());
            let bytes = body.to_vec();
            if method == Method::Put {
                DocumentWrite::Put {
                    key,
                    content_type,
                    bytes,
                }
            } else {
                DocumentWrite::Merge {
                    key,
                    content_type,
                    bytes,
                }
            }
        }
        (Method::Put | Method::Post, Target::Many(_)) => {
            unreachable!("target() requires an id for PUT and POST")
        }
    };
    docs.write(DocumentRequest {
        store,
        write,
        preconditions,
        put_policy: put_policy(kind, version),
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
