//! The write rules of a statement batch (ids, authority, version, timestamps, attachment parts
//! and signatures), turning it into the writer's append request.
//!
//! Each statement is stored as the client sent it (its bytes in the request body, minified),
//! with the properties the LRS sets spliced in ([`cairn_xapi::ReceivedBatch`]); only where the
//! typed model would spell it differently is the typed statement serialized instead.
use super::{AttachmentPart, SIGNATURE_USAGE, WriteContext};
use crate::error::Error;
use crate::event::FilterKeys;
use crate::writer::{AppendRequest, NewStatement};
use cairn_xapi::{ReceivedBatch, Stamp, Statement, XapiVersion};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::sync::Arc;
use uuid::Uuid;

/// Applies the write rules to a batch and turns it into an append request. `received` is the
/// body `statements` were parsed from (all of them, in order), when there is one.
pub(crate) fn prepare(
    ctx: &WriteContext,
    statements: Vec<Statement>,
    received: Option<&[u8]>,
    parts: Vec<AttachmentPart>,
    put_id: Option<Uuid>,
) -> Result<AppendRequest, Error> {
    if let Some(pid) = put_id {
        if statements.len() != 1 {
            return Err(Error::BadRequest("PUT takes exactly one statement".into()));
        }
        if let Some(id) = statements[0].id().filter(|id| *id != pid) {
            return Err(Error::BadRequest(format!(
                "statementId parameter {pid} does not match the statement's id {id}"
            )));
        }
    }
    let mut seen = HashSet::new();
    for s in &statements {
        if let Some(id) = s.id().filter(|id| !seen.insert(*id)) {
            return Err(Error::BadRequest(format!(
                "statement id {id} appears twice in the batch"
            )));
        }
    }
    let parts = check_parts(&statements, parts)?;
    let now = crate::time_fmt::format_us(crate::time_fmt::now_us());
    let version_default = match ctx.version {
        XapiVersion::V1_0_3 => "1.0.0",
        XapiVersion::V2_0_0 => "2.0.0",
    };
    let mut out = Vec::with_capacity(statements.len());
    let mut scratch = Vec::new();
    // The authority is the same in every statement of the batch: serialized once (when the
    // statements are spliced).
    let authority = received.and_then(|_| serde_json::to_vec(&ctx.authority).ok());
    let mut received = received
        .zip(authority.as_deref())
        .map(|(body, authority)| (ReceivedBatch::new(body), authority));
    for (i, mut st) in statements.into_iter().enumerate() {
        for a in st.signature_attachments() {
            let part = parts.iter().find(|p| p.sha2 == a.sha2).ok_or_else(|| {
                Error::BadRequest(format!(
                    "statement[{i}]: the signature attachment has no part"
                ))
            })?;
            cairn_xapi::verify_signature(&st, &part.body).map_err(|e| {
                Error::BadRequest(format!("statement[{i}]: invalid signature: {e}"))
            })?;
        }
        let id = match put_id.or(st.id()) {
            Some(id) => id,
            None => Uuid::new_v4(),
        };
        st.set_id(id);
        st.set_authority(ctx.authority.clone());
        st.set_version_if_missing(version_default);
        st.clear_stored();
        let lrs_timestamp = st.timestamp.is_none();
        st.set_timestamp_if_missing(&now);
        let spliced = match &mut received {
            Some((batch, authority)) => batch.splice_next(
                &Stamp {
                    id,
                    authority,
                    version: version_default,
                    timestamp: &now,
                },
                &mut scratch,
            ),
            None => false,
        };
        // Allocated at its exact size: a stored body is held in memory by the tail and caches.
        let body = if spliced {
            scratch.as_slice().to_vec()
        } else {
            st.to_json_with(&mut scratch)
        };
        let keys: FilterKeys = cairn_xapi::index_keys(&st).into();
        let attachments = st
            .attachments()
            .iter()
            .filter(|a| a.file_url.is_none() || parts.iter().any(|p| p.sha2 == a.sha2))
            .map(|a| a.sha2.clone())
            .collect();
        out.push(NewStatement {
            id,
            body,
            keys,
            voids: st.voided_target(),
            ref_target: st.statement_ref_target(),
            attachments,
            lrs_timestamp,
            restored_stored_us: None,
            facts: Some(Arc::new(crate::facts::StatementFacts::of(&st))),
            definitions: {
                // Taken out of the statement, which is not needed after this.
                let mut defs = if ctx.define {
                    crate::activities::definitions(&mut st)
                } else {
                    Vec::new()
                };
                defs.extend(crate::activities::verb_display(&mut st));
                defs
            },
        });
    }
    Ok(AppendRequest {
        store: ctx.store,
        statements: out,
        attachments: parts.into_iter().map(|p| (p.sha2, p.body)).collect(),
        own_only: (!ctx.reads_all).then(|| ctx.authority.ifi_key().unwrap_or_default()),
    })
}

/// Every attachment without a fileUrl needs a part with its hash; every part needs a declaring
/// attachment; each part's body must hash to what its header says.
fn check_parts(
    statements: &[Statement],
    parts: Vec<AttachmentPart>,
) -> Result<Vec<AttachmentPart>, Error> {
    for p in &parts {
        let actual = hex::encode(Sha256::digest(&p.body));
        if !actual.eq_ignore_ascii_case(&p.sha2) {
            return Err(Error::BadRequest(format!(
                "attachment part X-Experience-API-Hash {} does not match its content (sha256 {actual})",
                p.sha2
            )));
        }
    }
    for (i, s) in statements.iter().enumerate() {
        for (j, a) in s.attachments().iter().enumerate() {
            let part = parts.iter().find(|p| p.sha2.eq_ignore_ascii_case(&a.sha2));
            if part.is_none() && a.file_url.is_none() {
                return Err(Error::BadRequest(format!(
                    "statement[{i}].attachments[{j}]: no attachment part with sha2 {} and no fileUrl",
                    a.sha2
                )));
            }
            if a.usage_type == SIGNATURE_USAGE {
                if part.is_none() {
                    return Err(Error::BadRequest(format!(
                        "statement[{i}].attachments[{j}]: a signature must be sent as a part"
                    )));
                }
                if a.content_type != "application/octet-stream" {
                    return Err(Error::BadRequest(format!(
                        "statement[{i}].attachments[{j}]: a signature's contentType must be application/octet-stream"
                    )));
                }
            }
        }
    }
    for p in &parts {
        let declared = statements
            .iter()
            .flat_map(|s| s.attachments())
            .any(|a| a.sha2.eq_ignore_ascii_case(&p.sha2));
        if !declared {
            return Err(Error::BadRequest(format!(
                "attachment part {} is not declared by any statement",
                p.sha2
            )));
        }
    }
    Ok(parts)
}
