//! The Statements resource: `GET|HEAD|PUT|POST /xapi/statements`.
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::multipart::{self, MultipartWriter};
use crate::statement_params::{GetRequest, Params, parse_get};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cairn_core::auth::{Grant, XapiAction};
use cairn_core::query::Cursor;
use cairn_core::statements::{AttachmentPart, FoundStatement, WriteContext};
use cairn_core::tenancy::Scope;
use cairn_core::time_fmt::http_date;
use cairn_xapi::{Format, XapiVersion};

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
    let langs = accept_languages(&headers);
    let request = parse_get(
        raw.as_deref(),
        caller.0.store,
        caller.mine(),
        state.config.page_max,
    )?;
    match request {
        GetRequest::More(token) => {
            let mut cursor = Cursor::decode(&token, &state.config.cursor_key)
                .ok_or_else(|| ApiError::bad_request("the more token is not valid"))?;
            if cursor.query.store != caller.0.store || cursor.query.authority != caller.mine() {
                return Err(ApiError::bad_request("the more token is not valid"));
            }
            // Signed, so at most page_max when it was made; page_max may have been lowered since.
            cursor.page.limit = cursor.page.limit.clamp(1, state.config.page_max);
            query_page(&state, &caller, cursor, &langs).await
        }
        GetRequest::Single {
            id,
            voided,
            format,
            attachments,
        } => {
            let found = state.statements.get(caller.0.store, id, voided).await?;
            if let Some(mine) = caller.mine()
                && cairn_core::query::authority_key(&found.record.body).as_deref() != Some(&mine)
            {
                return Err(ApiError(cairn_core::Error::NotFound));
            }
            let doc = render(&found, format, &langs)?;
            respond(
                &state,
                &caller,
                doc,
                std::slice::from_ref(&found),
                attachments,
            )
            .await
        }
        GetRequest::Query {
            query,
            limit,
            format,
            attachments,
        } => {
            let cursor = Cursor {
                query,
                page: state.statements.first_page(limit),
                format,
                attachments,
            };
            query_page(&state, &caller, cursor, &langs).await
        }
    }
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
        .store(
            &context(&caller, version),
            vec![statement],
            Some(json.as_ref()),
            parts,
            Some(id),
        )
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
        .store(
            &context(&caller, version),
            statements,
            Some(json.as_ref()),
            parts,
            None,
        )
        .await?;
    Ok(axum::Json(ids).into_response())
}
