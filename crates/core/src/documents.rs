//! The document resources (State, Activity Profile, Agent Profile) and the two read-only
//! resources beside them (Activities, Agents).
//!
//! A document is addressed by a [`DocumentKey`]; its current version is a [`DocumentRecord`] in
//! the embedded store, and every change is a [`DocumentEvent`] in the log. Writes go through the
//! single writer thread, which evaluates `If-Match` / `If-None-Match` against the current state
//! (committed plus the pending writes of its group) with [`decide`], so compare-and-set is atomic.
use crate::error::Error;
use crate::ids::StoreId;
use crate::ports::LogStore;
use crate::writer::WriterHandle;
use cairn_xapi::Actor;
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};
use std::sync::Arc;
use uuid::Uuid;

/// Which document resource a document belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DocumentKind {
    State,
    ActivityProfile,
    AgentProfile,
}

impl DocumentKind {
    fn tag(self) -> u8 {
        match self {
            DocumentKind::State => 1,
            DocumentKind::ActivityProfile => 2,
            DocumentKind::AgentProfile => 3,
        }
    }
}

/// The address of one document within a store.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DocumentKey {
    pub kind: DocumentKind,
    /// State and Activity Profile.
    pub activity_id: Option<String>,
    /// IFI key of the agent (see `cairn_xapi::Actor::ifi_key`): State and Agent Profile.
    pub agent: Option<String>,
    /// State only.
    pub registration: Option<Uuid>,
    /// The stateId or profileId.
    pub id: String,
}

/// A set of documents listed or deleted together: all documents of one activity/agent
/// (and, for State, of one registration when it is given, else of every registration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentScope {
    pub kind: DocumentKind,
    pub activity_id: Option<String>,
    pub agent: Option<String>,
    pub registration: Option<Uuid>,
}

fn push_lp(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn push_registration(out: &mut Vec<u8>, r: Option<Uuid>) {
    match r {
        None => out.push(0),
        Some(u) => {
            out.push(1);
            out.extend_from_slice(u.as_bytes());
        }
    }
}

impl DocumentKey {
    pub fn state(
        activity_id: &str,
        agent: &str,
        registration: Option<Uuid>,
        state_id: &str,
    ) -> Self {
        DocumentKey {
            kind: DocumentKind::State,
            activity_id: Some(activity_id.to_owned()),
            agent: Some(agent.to_owned()),
            registration,
            id: state_id.to_owned(),
        }
    }

    pub fn activity_profile(activity_id: &str, profile_id: &str) -> Self {
        DocumentKey {
            kind: DocumentKind::ActivityProfile,
            activity_id: Some(activity_id.to_owned()),
            agent: None,
            registration: None,
            id: profile_id.to_owned(),
        }
    }

    pub fn agent_profile(agent: &str, profile_id: &str) -> Self {
        DocumentKey {
            kind: DocumentKind::AgentProfile,
            activity_id: None,
            agent: Some(agent.to_owned()),
            registration: None,
            id: profile_id.to_owned(),
        }
    }

    /// The store-independent part of the storage key: kind ‖ length-prefixed parts, laid out so
    /// that [`DocumentScope::prefix`] is a byte prefix of the keys of every document in scope.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.scope_prefix(true);
        push_lp(&mut out, &self.id);
        out
    }

    fn scope_prefix(&self, with_registration: bool) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.id.len());
        out.push(self.kind.tag());
        if let Some(a) = &self.activity_id {
            push_lp(&mut out, a);
        }
        if let Some(a) = &self.agent {
            push_lp(&mut out, a);
        }
        if self.kind == DocumentKind::State && with_registration {
            push_registration(&mut out, self.registration);
        }
        out
    }

    pub fn in_scope(&self, scope: &DocumentScope) -> bool {
        self.encode().starts_with(&scope.prefix())
    }
}

impl DocumentScope {
    pub fn state(activity_id: &str, agent: &str, registration: Option<Uuid>) -> Self {
        DocumentScope {
            kind: DocumentKind::State,
            activity_id: Some(activity_id.to_owned()),
            agent: Some(agent.to_owned()),
            registration,
        }
    }

    pub fn activity_profiles(activity_id: &str) -> Self {
        DocumentScope {
            kind: DocumentKind::ActivityProfile,
            activity_id: Some(activity_id.to_owned()),
            agent: None,
            registration: None,
        }
    }

    pub fn agent_profiles(agent: &str) -> Self {
        DocumentScope {
            kind: DocumentKind::AgentProfile,
            activity_id: None,
            agent: Some(agent.to_owned()),
            registration: None,
        }
    }

    /// Byte prefix (after the store id) of every document key in the scope.
    pub fn prefix(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.push(self.kind.tag());
        if let Some(a) = &self.activity_id {
            push_lp(&mut out, a);
        }
        if let Some(a) = &self.agent {
            push_lp(&mut out, a);
        }
        if self.kind == DocumentKind::State && self.registration.is_some() {
            push_registration(&mut out, self.registration);
        }
        out
    }
}

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
    use std::fmt::Write;
    Sha1::digest(bytes)
        .iter()
        .fold(String::with_capacity(40), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
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

#[derive(Debug, Clone)]
pub struct DocumentConfig {
    /// Largest document accepted, in bytes.
    pub max_bytes: usize,
}

impl Default for DocumentConfig {
    fn default() -> Self {
        DocumentConfig {
            max_bytes: 16 << 20,
        }
    }
}

/// The document, Activities and Agents resources.
#[derive(Clone)]
pub struct DocumentService {
    log: Arc<dyn LogStore>,
    writer: WriterHandle,
    config: DocumentConfig,
}

/// An id list answer: the ids and the latest modification among them.
pub struct DocumentIds {
    pub ids: Vec<String>,
    pub last_modified_us: Option<i64>,
}

impl DocumentService {
    pub fn new(log: Arc<dyn LogStore>, writer: WriterHandle, config: DocumentConfig) -> Self {
        DocumentService {
            log,
            writer,
            config,
        }
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn LogStore) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let log = self.log.clone();
        tokio::task::spawn_blocking(move || f(&*log))
            .await
            .map_err(|e| Error::Internal(e.to_string()))?
    }

    /// One document; NotFound when absent.
    pub async fn get(&self, store: StoreId, key: DocumentKey) -> Result<DocumentRecord, Error> {
        self.blocking(move |log| log.document(store, &key)?.ok_or(Error::NotFound))
            .await
    }

    /// The ids of the documents in scope, updated after `since_us` when given.
    pub async fn ids(
        &self,
        store: StoreId,
        scope: DocumentScope,
        since_us: Option<i64>,
    ) -> Result<DocumentIds, Error> {
        self.blocking(move |log| {
            let mut ids: Vec<String> = Vec::new();
            let mut last: Option<i64> = None;
            for d in log.documents(store, &scope)? {
                if since_us.is_some_and(|s| d.updated_us <= s) {
                    continue;
                }
                last = Some(last.map_or(d.updated_us, |l| l.max(d.updated_us)));
                if !ids.contains(&d.key.id) {
                    ids.push(d.key.id);
                }
            }
            Ok(DocumentIds {
                ids,
                last_modified_us: last,
            })
        })
        .await
    }

    /// Applies a write atomically (through the writer), or fails without changing anything.
    pub async fn write(&self, req: DocumentRequest) -> Result<(), Error> {
        let size = match &req.write {
            DocumentWrite::Put { bytes, .. } | DocumentWrite::Merge { bytes, .. } => bytes.len(),
            _ => 0,
        };
        if size > self.config.max_bytes {
            return Err(Error::PayloadTooLarge(format!(
                "the document is {size} bytes; the largest accepted is {} bytes",
                self.config.max_bytes
            )));
        }
        self.writer.document(req).await.map(|_| ())
    }

    /// The Activity object for an id: the definitions seen in statements, merged.
    pub async fn activity(
        &self,
        store: StoreId,
        activity_id: String,
    ) -> Result<serde_json::Value, Error> {
        self.blocking(move |log| {
            let mut out = serde_json::Map::new();
            out.insert("objectType".into(), "Activity".into());
            out.insert("id".into(), activity_id.clone().into());
            if let Some(def) = log.activity(store, &activity_id)? {
                let def: serde_json::Value = serde_json::from_slice(&def)
                    .map_err(|e| Error::Internal(format!("stored definition: {e}")))?;
                if def.as_object().is_some_and(|m| !m.is_empty()) {
                    out.insert("definition".into(), def);
                }
            }
            Ok(serde_json::Value::Object(out))
        })
        .await
    }

    /// The Person object for an agent: what the LRS knows of it (for now, the agent itself).
    pub fn person(&self, actor: &Actor) -> serde_json::Value {
        person(actor)
    }
}

/// A Person object built from one Agent: every property an array.
pub fn person(actor: &Actor) -> serde_json::Value {
    let v = serde_json::to_value(actor).unwrap_or_default();
    let mut out = serde_json::Map::new();
    out.insert("objectType".into(), "Person".into());
    for k in ["name", "mbox", "mbox_sha1sum", "openid", "account"] {
        if let Some(x) = v.get(k) {
            out.insert(k.into(), serde_json::Value::Array(vec![x.clone()]));
        }
    }
    serde_json::Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(bytes: &str, ct: &str) -> DocumentRecord {
        DocumentRecord::new(
            DocumentKey::activity_profile("http://a", "p"),
            ct.into(),
            bytes.as_bytes().to_vec(),
            1,
        )
    }

    fn put(bytes: &str, ct: &str) -> DocumentWrite {
        DocumentWrite::Put {
            key: DocumentKey::activity_profile("http://a", "p"),
            content_type: ct.into(),
            bytes: bytes.as_bytes().to_vec(),
        }
    }

    fn merge(bytes: &str, ct: &str) -> DocumentWrite {
        DocumentWrite::Merge {
            key: DocumentKey::activity_profile("http://a", "p"),
            content_type: ct.into(),
            bytes: bytes.as_bytes().to_vec(),
        }
    }

    #[test]
    fn document_events_round_trip_through_the_log_codec() {
        let ev = crate::Event::Document(Arc::new(DocumentEvent {
            store: StoreId::DEFAULT,
            op: DocumentOp::Merge,
            doc: doc("{\"a\":1}", "application/json"),
        }));
        let back = crate::Event::decode(&ev.encode()).unwrap();
        assert_eq!(back.store(), Some(StoreId::DEFAULT));
        let crate::Event::Document(d) = back else {
            panic!("not a document event")
        };
        assert_eq!(d.op, DocumentOp::Merge);
        assert_eq!(d.doc, doc("{\"a\":1}", "application/json"));
    }

    #[test]
    fn etag_is_sha1_hex() {
        assert_eq!(sha1_hex(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(
            doc("abc", "text/plain").etag_header(),
            "\"a9993e364706816aba3e25717850c26c9cd0d89d\""
        );
    }

    #[test]
    fn scopes_are_key_prefixes() {
        let r = Uuid::new_v4();
        let with = DocumentKey::state("http://a", "mbox:mailto:x@y.z", Some(r), "s");
        let without = DocumentKey::state("http://a", "mbox:mailto:x@y.z", None, "s");
        let all = DocumentScope::state("http://a", "mbox:mailto:x@y.z", None);
        let one = DocumentScope::state("http://a", "mbox:mailto:x@y.z", Some(r));
        assert!(with.in_scope(&all) && without.in_scope(&all));
        assert!(with.in_scope(&one) && !without.in_scope(&one));
        // Length prefixes: an activity id that is a prefix of another does not match it.
        assert!(!DocumentKey::state("http://ab", "mbox:mailto:x@y.z", None, "s").in_scope(&all));
        assert!(!DocumentKey::activity_profile("http://a", "p").in_scope(&all));
        assert!(
            DocumentKey::activity_profile("http://a", "p")
                .in_scope(&DocumentScope::activity_profiles("http://a"))
        );
        assert!(DocumentKey::agent_profile("x", "p").in_scope(&DocumentScope::agent_profiles("x")));
    }

    #[test]
    fn preconditions() {
        let d = doc("{}", "application/json");
        let tag = format!("\"{}\"", d.etag);
        assert!(
            Preconditions::parse(Some(&tag), None)
                .check(Some(&d))
                .is_ok()
        );
        assert!(
            Preconditions::parse(Some("*"), None)
                .check(Some(&d))
                .is_ok()
        );
        assert!(
            Preconditions::parse(Some("\"1234\""), None)
                .check(Some(&d))
                .is_err()
        );
        assert!(Preconditions::parse(Some("*"), None).check(None).is_err());
        assert!(Preconditions::parse(None, Some("*")).check(None).is_ok());
        assert!(matches!(
            Preconditions::parse(None, Some("*")).check(Some(&d)),
            Err(Error::PreconditionFailed(_))
        ));
        assert!(
            Preconditions::parse(Some(&format!("W/{tag}, \"x\"")), None)
                .check(Some(&d))
                .is_ok()
        );
    }

    #[test]
    fn put_policies() {
        let d = doc("{}", "application/json");
        let none = Preconditions::default();
        let w = put("x", "text/plain");
        assert!(
            decide(Some(&d), &w, &none, PutPolicy::Optional, 2)
                .unwrap()
                .is_some()
        );
        assert!(matches!(
            decide(Some(&d), &w, &none, PutPolicy::WhenExists, 2),
            Err(Error::Conflict(_))
        ));
        assert!(
            decide(None, &w, &none, PutPolicy::WhenExists, 2)
                .unwrap()
                .is_some()
        );
        assert!(matches!(
            decide(Some(&d), &w, &none, PutPolicy::Always, 2),
            Err(Error::Conflict(_))
        ));
        assert!(matches!(
            decide(None, &w, &none, PutPolicy::Always, 2),
            Err(Error::BadRequest(_))
        ));
        let star = Preconditions::parse(None, Some("*"));
        assert!(
            decide(None, &w, &star, PutPolicy::Always, 2)
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn merge_rules() {
        let none = Preconditions::default();
        let cur = doc(r#"{"a":1,"b":{"x":1}}"#, "application/json");
        let (op, rec) = decide(
            Some(&cur),
            &merge(r#"{"b":{"y":2},"c":3}"#, "application/json"),
            &none,
            PutPolicy::Always,
            5,
        )
        .unwrap()
        .unwrap();
        assert_eq!(op, DocumentOp::Merge);
        let v: serde_json::Value = serde_json::from_slice(&rec.bytes).unwrap();
        assert_eq!(v, serde_json::json!({"a":1,"b":{"y":2},"c":3}));
        assert_eq!(rec.updated_us, 5);
        // Non-JSON on either side, or JSON that is not an object: 400.
        assert!(
            decide(
                Some(&cur),
                &merge("abc", "text/plain"),
                &none,
                PutPolicy::Always,
                5
            )
            .is_err()
        );
        assert!(
            decide(
                Some(&cur),
                &merge("[1]", "application/json"),
                &none,
                PutPolicy::Always,
                5
            )
            .is_err()
        );
        assert!(
            decide(
                Some(&cur),
                &merge("{", "application/json"),
                &none,
                PutPolicy::Always,
                5
            )
            .is_err()
        );
        let bin = doc("/ asdf", "application/octet-stream");
        assert!(
            decide(
                Some(&bin),
                &merge("{}", "application/json"),
                &none,
                PutPolicy::Always,
                5
            )
            .is_err()
        );
        // Absent: stored as sent.
        let (op, rec) = decide(
            None,
            &merge("raw", "text/plain"),
            &none,
            PutPolicy::Always,
            5,
        )
        .unwrap()
        .unwrap();
        assert_eq!((op, rec.bytes.as_slice()), (DocumentOp::Put, &b"raw"[..]));
        assert!(
            decide(
                None,
                &merge("{", "application/json; charset=utf-8"),
                &none,
                PutPolicy::Always,
                5
            )
            .is_err()
        );
    }

    #[test]
    fn delete_of_absent_is_a_no_op() {
        let w = DocumentWrite::Delete {
            key: DocumentKey::activity_profile("http://a", "p"),
        };
        assert!(
            decide(None, &w, &Preconditions::default(), PutPolicy::Always, 1)
                .unwrap()
                .is_none()
        );
        assert!(
            decide(
                None,
                &w,
                &Preconditions::parse(Some("\"x\""), None),
                PutPolicy::Always,
                1
            )
            .is_err()
        );
    }

    #[test]
    fn person_from_agent() {
        let a = cairn_xapi::parse_agent_param(
            r#"{"objectType":"Agent","name":"A","mbox":"mailto:a@b.c"}"#,
            cairn_xapi::XapiVersion::V2_0_0,
        )
        .unwrap();
        assert_eq!(
            person(&a),
            serde_json::json!({"objectType":"Person","name":["A"],"mbox":["mailto:a@b.c"]})
        );
    }
}
