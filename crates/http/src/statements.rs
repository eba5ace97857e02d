//! The Statements resource: `GET|HEAD|PUT|POST /xapi/statements`.
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::multipart::{self, MultipartWriter};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cairn_core::auth::{Grant, XapiAction};
use cairn_core::query::{Cursor, StatementQuery};
use cairn_core::statements::{AttachmentPart, FoundStatement, WriteContext};
use cairn_core::tenancy::Scope;
use cairn_core::time_fmt::http_date;
use cairn_xapi::{Format, XapiVersion};
use uuid::Uuid;

const PARAMS: [&str; 15] = [
    "statementId",
    "voidedStatementId",
    "agent",
    "verb",
    "activity",
    "registration",
    "related_activities",
    "related_agents",
    "since",
    "until",
    "limit",
    "format",
    "attachments",
    "ascending",
    "more",
];

struct Params(Vec<(String, String)>);

impl Params {
    fn parse(raw: Option<&str>, allowed: &[&str]) -> Result<Self, ApiError> {
        let mut out: Vec<(String, String)> = Vec::new();
        for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            if !allowed.contains(&k.as_ref()) {
                return Err(ApiError::bad_request(format!("unknown parameter {k:?}")));
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

    fn get(&self, k: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
    }

    fn bool(&self, k: &str) -> Result<bool, ApiError> {
        match self.get(k) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(v) => Err(ApiError::bad_request(format!(
                "{k} must be true or false, not {v:?}"
            ))),
        }
    }

    fn uuid(&self, k: &str) -> Result<Option<Uuid>, ApiError> {
        self.get(k)
            .map(|v| {
                Uuid::parse_str(v)
                    .map_err(|_| ApiError::bad_request(format!("{k} must be a UUID, not {v:?}")))
            })
            .transpose()
    }
}

fn parse_format(v: Option<&str>) -> Result<Format, ApiError> {
    match v {
        None | Some("exact") => Ok(Format::Exact),
        Some("ids") => Ok(Format::Ids),
        Some("canonical") => Ok(Format::Canonical),
        Some(o) => Err(ApiError::bad_request(format!(
            "format must be ids, exact or canonical, not {o:?}"
        ))),
    }
}

fn format_code(f: &Format) -> u8 {
    match f {
        Format::Exact => 0,
        Format::Ids => 1,
        Format::Canonical => 2,
    }
}

fn format_from_code(c: u8) -> Format {
    match c {
        1 => Format::Ids,
        2 => Format::Canonical,
        _ => Format::Exact,
    }
}

/// Languages from Accept-Language, most preferred first.
fn accept_languages(headers: &HeaderMap) -> Vec<String> {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(cairn_xapi::parse_accept_language)
        .unwrap_or_default()
}

fn render(found: &FoundStatement, format: u8, langs: &[String]) -> Result<Vec<u8>, ApiError> {
    let json = found.record.full_json();
    match format_from_code(format) {
        Format::Exact => Ok(json),
        other => cairn_xapi::format_statement(&json, other, langs).map_err(|e| ApiError(e.into())),
    }
}

/// (sha2, contentType) of the attachments a statement declares.
fn declared_attachments(json: &[u8]) -> Vec<(String, String)> {
    let v: serde_json::Value = serde_json::from_slice(json).unwrap_or_default();
    v["attachments"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| {
                    Some((
                        x["sha2"].as_str()?.to_owned(),
                        x["contentType"].as_str()?.to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn respond(
    state: &AppState,
    caller: &Caller,
    document: Vec<u8>,
    found: &[FoundStatement],
    attachments: bool,
) -> Result<Response, ApiError> {
    let last_modified = found.iter().map(|f| f.record.stored_us).max();
    let mut res = if attachments {
        let mut w = MultipartWriter::new();
        w.json(&document);
        let mut sent: Vec<String> = Vec::new();
        for f in found {
            for (sha2, ct) in declared_attachments(&f.record.body) {
                if sent.contains(&sha2) || !f.record.attachments.contains(&sha2) {
                    continue;
                }
                if let Some(body) = state.statements.attachment(caller.0.store, &sha2).await? {
                    w.attachment(&ct, &sha2, &body);
                    sent.push(sha2);
                }
            }
        }
        let ct = w.content_type();
        ([(header::CONTENT_TYPE, ct)], w.finish()).into_response()
    } else {
        ([(header::CONTENT_TYPE, "application/json")], document).into_response()
    };
    if let Some(v) = last_modified.and_then(|us| HeaderValue::from_str(&http_date(us)).ok()) {
        res.headers_mut().insert(header::LAST_MODIFIED, v);
    }
    Ok(res)
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(raw.as_deref(), &PARAMS)?;
    let langs = accept_languages(&headers);
    if let Some(token) = p.get("more") {
        if p.0.len() != 1 {
            return Err(ApiError::bad_request(
                "more cannot be combined with other parameters",
            ));
        }
        let mut cursor = Cursor::decode(token, &state.config.cursor_key)
            .ok_or_else(|| ApiError::bad_request("the more token is not valid"))?;
        if cursor.query.store != caller.0.store || cursor.query.authority != caller.mine() {
            return Err(ApiError::bad_request("the more token is not valid"));
        }
        // Signed, so at most page_max when it was made; page_max may have been lowered since.
        cursor.page.limit = cursor.page.limit.clamp(1, state.config.page_max);
        return query_page(&state, &caller, cursor, &langs).await;
    }
    let statement_id = p.uuid("statementId")?;
    let voided_id = p.uuid("voidedStatementId")?;
    let format = parse_format(p.get("format"))?;
    let attachments = p.bool("attachments")?;
    if let Some((id, voided)) = match (statement_id, voided_id) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request(
                "statementId and voidedStatementId cannot be used together",
            ));
        }
        (Some(id), None) => Some((id, false)),
        (None, Some(id)) => Some((id, true)),
        (None, None) => None,
    } {
        if let Some((k, _)) = p.0.iter().find(|(k, _)| {
            !matches!(
                k.as_str(),
                "statementId" | "voidedStatementId" | "format" | "attachments"
            )
        }) {
            return Err(ApiError::bad_request(format!(
                "{k} cannot be used with statementId or voidedStatementId"
            )));
        }
        let found = state.statements.get(caller.0.store, id, voided).await?;
        if let Some(mine) = caller.mine()
            && cairn_core::query::authority_key(&found.record.body).as_deref() != Some(&mine)
        {
            return Err(ApiError(cairn_core::Error::NotFound));
        }
        let doc = render(&found, format_code(&format), &langs)?;
        return respond(
            &state,
            &caller,
            doc,
            std::slice::from_ref(&found),
            attachments,
        )
        .await;
    }
    let version = XapiVersion::V2_0_0;
    let mut q = StatementQuery::new(caller.0.store);
    q.authority = caller.mine();
    if let Some(a) = p.get("agent") {
        let actor = cairn_xapi::parse_agent_param(a, version)
            .map_err(|e| ApiError::bad_request(format!("agent: {e}")))?;
        q.agent = Some(actor.ifi_key().ok_or_else(|| {
            ApiError::bad_request("agent must be an Agent or an identified Group")
        })?);
    }
    let iri = |k: &str| {
        p.get(k)
            .map(|v| {
                cairn_xapi::parse_iri_param(k, v)
                    .map(str::to_owned)
                    .map_err(|e| ApiError(e.into()))
            })
            .transpose()
    };
    q.verb = iri("verb")?;
    q.activity = iri("activity")?;
    q.registration = p.uuid("registration")?.map(|u| u.hyphenated().to_string());
    q.related_activities = p.bool("related_activities")?;
    q.related_agents = p.bool("related_agents")?;
    q.ascending = p.bool("ascending")?;
    let time = |k: &str| {
        p.get(k)
            .map(|v| {
                cairn_xapi::parse_timestamp_param(k, v)
                    .map(|nanos| (nanos / 1000) as i64)
                    .map_err(|e| ApiError(e.into()))
            })
            .transpose()
    };
    q.since_us = time("since")?;
    q.until_us = time("until")?;
    let limit = match p.get("limit") {
        None => 0,
        Some(v) => v.parse::<usize>().map_err(|_| {
            ApiError::bad_request(format!("limit must be a non-negative integer, not {v:?}"))
        })?,
    };
    let max = state.config.page_max;
    let limit = if limit == 0 || limit > max {
        max
    } else {
        limit
    };
    let cursor = Cursor {
        query: q,
        page: state.statements.first_page(limit),
        format: format_code(&format),
        attachments,
    };
    query_page(&state, &caller, cursor, &langs).await
}

async fn query_page(
    state: &AppState,
    caller: &Caller,
    cursor: Cursor,
    langs: &[String],
) -> Result<Response, ApiError> {
    let page = state.statements.query(&cursor.query, cursor.page).await?;
    let mut doc = Vec::with_capacity(page.statements.len() * 1024 + 64);
    doc.extend_from_slice(b"{\"statements\":[");
    for (i, f) in page.statements.iter().enumerate() {
        if i > 0 {
            doc.push(b',');
        }
        doc.extend_from_slice(&render(f, cursor.format, langs)?);
    }
    doc.extend_from_slice(b"],\"more\":\"");
    if let Some(next) = page.next {
        let token = Cursor {
            page: next,
            ..cursor.clone()
        }
        .encode(&state.config.cursor_key);
        doc.extend_from_slice(b"/xapi/statements?more=");
        doc.extend_from_slice(token.as_bytes());
    }
    doc.extend_from_slice(b"\"}");
    respond(state, caller, doc, &page.statements, cursor.attachments).await
}

/// The statements and attachment parts of a PUT or POST body.
async fn read_body(
    headers: &HeaderMap,
    body: Bytes,
) -> Result<(Bytes, Vec<AttachmentPart>), ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    let lower = ct.trim().to_ascii_lowercase();
    if lower.starts_with("multipart/mixed") {
        let mp = multipart::parse(ct, body).await?;
        Ok((mp.statements, mp.parts))
    } else if lower.starts_with("application/json") {
        Ok((body, Vec::new()))
    } else {
        Err(ApiError::bad_request(format!(
            "Content-Type {ct:?} is not accepted: use application/json or multipart/mixed"
        )))
    }
}

fn context(caller: &Caller, version: XapiVersion) -> WriteContext {
    WriteContext {
        store: caller.0.store,
        authority: caller.0.authority.clone(),
        version,
        define: caller
            .0
            .scopes
            .iter()
            .any(|s| matches!(s, Scope::Define | Scope::All)),
        reads_all: caller.0.grant(XapiAction::ReadStatements) == Some(Grant::Full),
    }
}

pub async fn put(
    State(state): State<AppState>,
    Extension(version): Extension<XapiVersion>,
    caller: Caller,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    let p = Params::parse(raw.as_deref(), &["statementId"])?;
    let id = p
        .uuid("statementId")?
        .ok_or_else(|| ApiError::bad_request("PUT needs a statementId parameter"))?;
    let (json, parts) = read_body(&headers, body).await?;
    let statement = cairn_xapi::parse_statement(&json, version).map_err(|e| ApiError(e.into()))?;
    state
        .statements
        .store(&context(&caller, version), vec![statement], parts, Some(id))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn post(
    State(state): State<AppState>,
    Extension(version): Extension<XapiVersion>,
    caller: Caller,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    Params::parse(raw.as_deref(), &[])?;
    let (json, parts) = read_body(&headers, body).await?;
    let statements =
        cairn_xapi::parse_statements(&json, version).map_err(|e| ApiError(e.into()))?;
    let ids = state
        .statements
        .store(&context(&caller, version), statements, parts, None)
        .await?;
    Ok(axum::Json(ids).into_response())
}
