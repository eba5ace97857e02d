//! The document resources (State, Activity Profile, Agent Profile) and the two read-only
//! resources beside them (Activities, Agents).
//!
//! A document is addressed by a [`DocumentKey`]; its current version is a [`DocumentRecord`] in
//! the embedded store, and every change is a [`DocumentEvent`] in the log. Writes go through the
//! single writer thread, which evaluates `If-Match` / `If-None-Match` against the current state
//! (committed plus the pending writes of its group) with [`decide`], so compare-and-set is atomic.
mod keys;
pub mod rules;

pub use keys::*;
pub use rules::*;

use crate::error::Error;
use crate::ids::StoreId;
use crate::ports::LogStore;
use crate::writer::WriterHandle;
use cairn_xapi::Actor;
use std::sync::Arc;

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
    use uuid::Uuid;

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
