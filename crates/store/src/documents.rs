//! Documents and activity definitions in the embedded store.
//!
//! - `documents`: `store(16) ‖ DocumentKey::encode()` → postcard-encoded [`DocumentRecord`];
//!   the encoding puts kind, activity id, agent and registration first (length-prefixed), so a
//!   [`DocumentScope`] is a key prefix and listing is one prefix scan.
//! - `activities`: `store(16) ‖ activity id` → merged definition (JSON object).
use crate::{FjallStore, err};
use cairn_core::StoreId;
use cairn_core::documents::{DocumentKey, DocumentRecord, DocumentScope};
use cairn_core::ports::StoreError;

pub(crate) fn document_key(store: StoreId, key: &DocumentKey) -> Vec<u8> {
    let mut k = store.as_bytes().to_vec();
    k.extend_from_slice(&key.encode());
    k
}

pub(crate) fn activity_key(store: StoreId, id: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(16 + id.len());
    k.extend_from_slice(store.as_bytes());
    k.extend_from_slice(id.as_bytes());
    k
}

pub(crate) fn encode(doc: &DocumentRecord) -> Vec<u8> {
    cairn_core::codec::encode(doc)
}

pub(crate) fn decode(v: &[u8]) -> Result<DocumentRecord, StoreError> {
    cairn_core::codec::decode(v).map_err(|e| err(format!("document cannot be decoded: {e}")))
}

impl FjallStore {
    pub(crate) fn get_document(
        &self,
        store: StoreId,
        key: &DocumentKey,
    ) -> Result<Option<DocumentRecord>, StoreError> {
        match self.documents.get(document_key(store, key)).map_err(err)? {
            Some(v) => decode(&v).map(Some),
            None => Ok(None),
        }
    }

    pub(crate) fn list_documents(
        &self,
        store: StoreId,
        scope: &DocumentScope,
    ) -> Result<Vec<DocumentRecord>, StoreError> {
        let mut prefix = store.as_bytes().to_vec();
        prefix.extend_from_slice(&scope.prefix());
        let mut out = Vec::new();
        for kv in self.documents.prefix(prefix) {
            let (_, v) = kv.into_inner().map_err(err)?;
            out.push(decode(&v)?);
        }
        Ok(out)
    }

    pub(crate) fn get_activity(
        &self,
        store: StoreId,
        id: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .activities
            .get(activity_key(store, id))
            .map_err(err)?
            .map(|v| v.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cairn_core::ports::{LogStore, WriteSet};
    use std::sync::Arc;
    use uuid::Uuid;

    fn rec(key: DocumentKey, body: &str) -> Option<Arc<DocumentRecord>> {
        Some(Arc::new(DocumentRecord::new(
            key,
            "application/json".into(),
            body.as_bytes().to_vec(),
            7,
        )))
    }

    #[test]
    fn documents_round_trip_list_by_prefix_and_delete() {
        let dir = tempfile::tempdir().unwrap();
        let s = FjallStore::open(dir.path(), 8 << 20).unwrap();
        let st = StoreId::DEFAULT;
        let other = StoreId(Uuid::new_v4());
        let reg = Uuid::new_v4();
        let a = DocumentKey::state("http://a", "mbox:mailto:x@y.z", None, "s1");
        let b = DocumentKey::state("http://a", "mbox:mailto:x@y.z", Some(reg), "s2");
        let c = DocumentKey::state("http://ab", "mbox:mailto:x@y.z", None, "s3");
        let ws = WriteSet {
            documents: vec![
                (st, a.clone(), rec(a.clone(), "{}")),
                (st, b.clone(), rec(b.clone(), "{\"b\":1}")),
                (st, c.clone(), rec(c.clone(), "{}")),
                (other, a.clone(), rec(a.clone(), "{}")),
            ],
            activities: vec![(st, "http://a".into(), b"{\"type\":\"http://t\"}".to_vec())],
            ..Default::default()
        };
        s.commit(&ws).unwrap();
        assert_eq!(s.document(st, &b).unwrap().unwrap().bytes, b"{\"b\":1}");
        let all = s
            .documents(
                st,
                &DocumentScope::state("http://a", "mbox:mailto:x@y.z", None),
            )
            .unwrap();
        assert_eq!(
            all.iter().map(|d| d.key.id.as_str()).collect::<Vec<_>>(),
            vec!["s1", "s2"]
        );
        let one = s
            .documents(
                st,
                &DocumentScope::state("http://a", "mbox:mailto:x@y.z", Some(reg)),
            )
            .unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(
            s.activity(st, "http://a").unwrap().unwrap(),
            b"{\"type\":\"http://t\"}"
        );
        assert_eq!(s.activity(other, "http://a").unwrap(), None);
        s.commit(&WriteSet {
            documents: vec![(st, a.clone(), None)],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(s.document(st, &a).unwrap(), None);
        assert!(s.document(other, &a).unwrap().is_some());
    }
}
