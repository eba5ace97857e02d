//! The rules of document writes: stored records and their ETags, the events in the log,
//! If-Match / If-None-Match preconditions, and [`decide`], which turns a request and the current
//! record into the new state (or the refusal) inside the writer thread.
use super::keys::{DocumentKey, DocumentScope};
use crate::error::Error;
use crate::ids::StoreId;
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

/// The current version of a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentRecord {
    pub key: DocumentKey,
    pub content_type: String,
    /// SHA-1 (lowercase hex) of `bytes`; served quoted as the ETag.
    pub etag: String,
    pub updated_us: i64,
    #[serde(with = "serde_bytes")]
    pub bytes: Vec<u8>,
}

impl DocumentRecord {
    pub fn new(key: DocumentKey, content_type: String, bytes: Vec<u8>, updated_us: i64) -> Self {
        let etag = sha1_hex(&bytes);
        DocumentRecord {
            key,
            content_type,
            etag,
            updated_us,
            bytes,
        }
    }

    /// The ETag header value: the SHA-1 in quotes.
    pub fn etag_header(&self) -> String {
        format!("\"{}\"", self.etag)
    }
}

/// How a document changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DocumentOp {
    Put,
    Merge,
    Delete,
}

/// One document change in the log. For `Delete`, `doc` carries the key and the deletion time,
/// with empty content.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DocumentEvent {
    pub store: StoreId,
    pub op: DocumentOp,
    pub doc: DocumentRecord,
}

pub fn sha1_hex(bytes: &[u8]) -> String {
    hex::encode(Sha1::digest(bytes))
}

/// `If-Match` / `If-None-Match`, each a list of entity tags (unquoted) or `*`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preconditions {
    pub if_match: Option<Vec<String>>,
    pub if_none_match: Option<Vec<String>>,
}

impl Preconditions {
    /// Parses header values: `"a", W/"b"` or `*`.
    pub fn parse(if_match: Option<&str>, if_none_match: Option<&str>) -> Self {
        fn tags(v: &str) -> Vec<String> {
            v.split(',')
                .map(|t| t.trim())
                .filter(|t| !t.is_empty())
                .map(|t| {
                    let t = t.strip_prefix("W/").unwrap_or(t);
                    t.trim_matches('"').to_ascii_lowercase()
                })
                .collect()
        }
        Preconditions {
            if_match: if_match.map(tags),
            if_none_match: if_none_match.map(tags),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.if_match.is_none() && self.if_none_match.is_none()
    }

    /// RFC 7232 evaluation against the current document (None when there is none).
    pub fn check(&self, current: Option<&DocumentRecord>) -> Result<(), Error> {
        if let Some(tags) = &self.if_match {
            let ok = match current {
                None => false,
                Some(doc) => tags.iter().any(|t| t == "*" || *t == doc.etag),
            };
            if !ok {
                return Err(Error::PreconditionFailed(match current {
                    None => "If-Match failed: the document does not exist".into(),
                    Some(_) => {
                        "If-Match failed: the document has changed (its ETag differs)".into()
                    }
                }));
            }
        }
        if let Some(tags) = &self.if_none_match
            && let Some(doc) = current
            && tags.iter().any(|t| t == "*" || *t == doc.etag)
        {
            return Err(Error::PreconditionFailed(
                "If-None-Match failed: the document already exists".into(),
            ));
        }
        Ok(())
    }
}

/// Whether a PUT must carry `If-Match` or `If-None-Match`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutPolicy {
    /// No header needed (xAPI 1.0.3 State).
    Optional,
    /// A PUT over an existing document without either header is a 409 (xAPI 2.0).
    WhenExists,
    /// Always needed: 409 over an existing document, 400 otherwise (xAPI 1.0.3 profiles).
    Always,
}

/// What a client asks the writer to do to documents.
#[derive(Debug, Clone)]
pub enum DocumentWrite {
    /// Replace (or create) the document.
    Put {
        key: DocumentKey,
        content_type: String,
        bytes: Vec<u8>,
    },
    /// Merge a JSON object into the document (create it when absent).
    Merge {
        key: DocumentKey,
        content_type: String,
        bytes: Vec<u8>,
    },
    Delete {
        key: DocumentKey,
    },
    /// Delete every document in the scope (State without stateId).
    DeleteAll {
        scope: DocumentScope,
    },
}

#[derive(Debug, Clone)]
pub struct DocumentRequest {
    pub store: StoreId,
    pub write: DocumentWrite,
    pub preconditions: Preconditions,
    pub put_policy: PutPolicy,
}

/// Whether a Content-Type names JSON (`application/json`, parameters ignored).
pub fn is_json_type(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .eq_ignore_ascii_case("application/json")
}

fn json_object(bytes: &[u8]) -> Option<serde_json::Map<String, serde_json::Value>> {
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(serde_json::Value::Object(m)) => Some(m),
        _ => None,
    }
}

/// Decides one single-document write against the current version: the new version (None to
/// delete), or nothing to do. Pure; the writer calls it with the state it owns.
pub fn decide(
    current: Option<&DocumentRecord>,
    write: &DocumentWrite,
    pre: &Preconditions,
    policy: PutPolicy,
    now_us: i64,
) -> Result<Option<(DocumentOp, DocumentRecord)>, Error> {
    pre.check(current)?;
    match write {
        DocumentWrite::Put {
            key,
            content_type,
            bytes,
        } => {
            if pre.is_empty() {
                match (policy, current.is_some()) {
                    (PutPolicy::Optional, _) | (PutPolicy::WhenExists, false) => {}
                    (_, true) => {
                        return Err(Error::Conflict(
                            "the document already exists: send If-Match with its ETag to replace it \
                             (or If-None-Match: * to create a new one only)"
                                .into(),
                        ));
                    }
                    (PutPolicy::Always, false) => {
                        return Err(Error::BadRequest(
                            "a PUT to this resource needs an If-Match (ETag) or If-None-Match: * header".into(),
                        ));
                    }
                }
            }
            Ok(Some((
                DocumentOp::Put,
                DocumentRecord::new(key.clone(), content_type.clone(), bytes.clone(), now_us),
            )))
        }
        DocumentWrite::Merge {
            key,
            content_type,
            bytes,
        } => {
            let Some(cur) = current else {
                if is_json_type(content_type) && json_object(bytes).is_none() {
                    return Err(Error::BadRequest(
                        "the posted document is not a JSON object".into(),
                    ));
                }
                return Ok(Some((
                    DocumentOp::Put,
                    DocumentRecord::new(key.clone(), content_type.clone(), bytes.clone(), now_us),
                )));
            };
            if !is_json_type(content_type) {
                return Err(Error::BadRequest(format!(
                    "cannot merge a document of Content-Type {content_type:?}: POST merges JSON objects \
                     (application/json) only"
                )));
            }
            let new = json_object(bytes).ok_or_else(|| {
                Error::BadRequest("the posted document is not a JSON object".into())
            })?;
            if !is_json_type(&cur.content_type) {
                return Err(Error::BadRequest(format!(
                    "the stored document has Content-Type {:?}, not application/json: it cannot be merged",
                    cur.content_type
                )));
            }
            let mut old = json_object(&cur.bytes).ok_or_else(|| {
                Error::BadRequest(
                    "the stored document is not a JSON object: it cannot be merged".into(),
                )
            })?;
            for (k, v) in new {
                old.insert(k, v);
            }
            let merged = serde_json::to_vec(&serde_json::Value::Object(old))
                .map_err(|e| Error::Internal(e.to_string()))?;
            Ok(Some((
                DocumentOp::Merge,
                DocumentRecord::new(key.clone(), "application/json".into(), merged, now_us),
            )))
        }
        DocumentWrite::Delete { key } => Ok(current.map(|_| {
            (
                DocumentOp::Delete,
                DocumentRecord::new(key.clone(), String::new(), Vec::new(), now_us),
            )
        })),
        DocumentWrite::DeleteAll { .. } => {
            Err(Error::Internal("DeleteAll is planned per document".into()))
        }
    }
}
