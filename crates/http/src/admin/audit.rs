//! The audit log: [`record`] is a layer over every admin route that records the audited
//! requests (see `cairn_core::audit::classify`) once they are answered: method, route
//! template, the ids in the path and the id of what was created, who (the user the handler
//! authenticated), when, and the answer's status. Never a body, a query string or a secret. `GET /api/v1/audit` lists them.
use super::dto::ErrorBody;
use super::{Admin, Params};
use crate::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use cairn_core::Error;
use cairn_core::audit::{AuditKind, AuditQuery, AuditRecord, classify};
use cairn_core::tenancy::{Subject, UserId};
use cairn_core::time_fmt::{format_us, parse_us};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Where the [`Admin`] extractor leaves the user it authenticated, for [`record`].
#[derive(Clone, Default)]
pub(crate) struct AuditSlot(Arc<Mutex<Option<Subject>>>);

impl AuditSlot {
    pub(crate) fn set(&self, s: Subject) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(s);
    }

    fn take(&self) -> Option<Subject> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

/// The values of the path's `{…}` segments, in order.
fn targets(template: &str, path: &str) -> Vec<String> {
    template
        .split('/')
        .zip(path.split('/'))
        .filter(|(t, _)| t.starts_with('{'))
        .map(|(_, v)| {
            percent_encoding::percent_decode_str(v)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect()
}

/// The id of what a `201` answer created: its `id`, or that of the entity it wraps (a client
/// with its secret: `{"client": {"id": …}, "secret": …}`).
fn created_id(v: &serde_json::Value) -> Option<String> {
    let id = |v: &serde_json::Value| v.get("id")?.as_str().map(String::from);
    id(v).or_else(|| v.as_object()?.values().find_map(id))
}

/// Records the audited requests of an authenticated user, once answered.
pub async fn record(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let Some(audit) = state.audit.clone() else {
        return next.run(req).await;
    };
    let Some(route) = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
    else {
        return next.run(req).await;
    };
    let method = req.method().as_str().to_owned();
    let Some(kind) = classify(&method, &route) else {
        return next.run(req).await;
    };
    let mut targets = targets(&route, req.uri().path());
    // Before the request: a deleted target has no organisation afterwards.
    let mut org = audit.org_of(&route, &targets);
    let slot = AuditSlot::default();
    req.extensions_mut().insert(slot.clone());
    let mut res = next.run(req).await;
    if let Some(subject) = slot.take() {
        if res.status() == StatusCode::CREATED && kind != AuditKind::Export {
            // What was created is a target too, and tells the organisation of a creation
            // whose path names none (`POST /api/v1/stores` names it in the body).
            let (parts, body) = res.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            let created = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| created_id(&v));
            if let Some(id) = created {
                if org.is_none() {
                    org = audit.org_of(&format!("{route}/{{id}}"), std::slice::from_ref(&id));
                }
                targets.push(id);
            }
            res = Response::from_parts(parts, axum::body::Body::from(bytes));
        }
        let r = AuditRecord {
            at_us: 0,
            actor: subject.user,
            kind,
            method,
            route,
            targets,
            org,
            status: res.status().as_u16(),
        };
        if let Err(e) = audit.record(r).await {
            tracing::error!(error = %e, "cannot record an audited request");
        }
    }
    res
}

/// Filters and paging of the audit log.
#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Records at or after this time (RFC 3339).
    pub since: Option<String>,
    /// Records before this time (RFC 3339).
    pub until: Option<String>,
    /// Only what this user did (user id).
    pub actor: Option<Uuid>,
    /// Only this kind: `change`, `deletion`, `export`, `share_link` or `erasure`.
    pub kind: Option<String>,
    /// Records per page (1 to 1000, default 100).
    pub limit: Option<usize>,
    /// Opaque: the `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One audited request.
#[derive(Serialize, ToSchema)]
pub struct AuditEntry {
    /// When it was recorded (RFC 3339, UTC).
    pub at: String,
    /// The user who made it.
    pub actor: Uuid,
    /// `change`, `deletion`, `export`, `share_link` or `erasure`.
    pub kind: String,
    pub method: String,
    /// The route, e.g. `/api/v1/stores/{id}/clients`.
    pub route: String,
    /// The ids in the request's path, in order.
    pub targets: Vec<String>,
    /// The organisation of the target (absent: installation-wide, such as users).
    pub organisation: Option<Uuid>,
    /// The HTTP status it was answered with.
    pub status: u16,
}

/// A page of the audit log, newest first.
#[derive(Serialize, ToSchema)]
pub struct AuditLogPage {
    pub items: Vec<AuditEntry>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

fn time(name: &str, v: &Option<String>) -> Result<Option<i64>, ApiError> {
    v.as_deref()
        .map(|s| {
            parse_us(s).ok_or_else(|| {
                ApiError::bad_request(format!("{name} {s:?} is not an RFC 3339 time"))
            })
        })
        .transpose()
}

fn cursor(v: &str) -> Result<Vec<u8>, ApiError> {
    let bad = || ApiError::bad_request("the cursor is not valid");
    let (at, seq) = v.split_once('.').ok_or_else(bad)?;
    let at: u64 = at.parse().map_err(|_| bad())?;
    let seq: u64 = seq.parse().map_err(|_| bad())?;
    Ok([at.to_be_bytes(), seq.to_be_bytes()].concat())
}

fn cursor_text(k: &[u8]) -> Option<String> {
    let at = u64::from_be_bytes(k.get(..8)?.try_into().ok()?);
    let seq = u64::from_be_bytes(k.get(8..16)?.try_into().ok()?);
    Some(format!("{at}.{seq}"))
}

/// The audit log, newest first: every administrative change, deletion, erasure, export and
/// share link made through this API, with who made it, when and the answer's status. Site
/// administrators see every record, organisation administrators those of their organisations
/// (others: 403).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditParams),
    responses((status = 200, body = AuditLogPage), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_audit(
    State(state): State<AppState>,
    Admin(s): Admin,
    Params(p): Params<AuditParams>,
) -> Result<Json<AuditLogPage>, ApiError> {
    let audit = state.audit.as_ref().ok_or(ApiError(Error::NotFound))?;
    let kind = p
        .kind
        .as_deref()
        .map(|k| {
            AuditKind::parse(k).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "kind {k:?} is not one of change, deletion, export, share_link, erasure"
                ))
            })
        })
        .transpose()?;
    let q = AuditQuery {
        since_us: time("since", &p.since)?,
        until_us: time("until", &p.until)?,
        actor: p.actor.map(UserId),
        kind,
        cursor: p.cursor.as_deref().map(cursor).transpose()?,
        limit: p.limit.unwrap_or(100).clamp(1, 1000),
    };
    let page = audit.list(&s, q).await?;
    Ok(Json(AuditLogPage {
        items: page
            .records
            .into_iter()
            .map(|r| AuditEntry {
                at: format_us(r.at_us),
                actor: r.actor.0,
                kind: r.kind.as_str().into(),
                method: r.method,
                route: r.route,
                targets: r.targets,
                organisation: r.org.map(|o| o.0),
                status: r.status,
            })
            .collect(),
        next_cursor: page.next.as_deref().and_then(cursor_text),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_ids_and_cursors() {
        assert_eq!(
            targets(
                "/api/v1/dashboards/{id}/links/{link}",
                "/api/v1/dashboards/a/links/b%20c"
            ),
            vec!["a", "b c"]
        );
        assert!(targets("/api/v1/organisations", "/api/v1/organisations").is_empty());
        let k = cairn_core::audit::model::key(1_700_000_000_000_000, 42);
        let text = cursor_text(&k).unwrap();
        assert_eq!(text, "1700000000000000.42");
        assert_eq!(cursor(&text).unwrap(), k);
        assert!(cursor("x").is_err());
    }
}
