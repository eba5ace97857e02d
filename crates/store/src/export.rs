//! Moving a single-node installation into a cluster: the whole store, read from one snapshot, as
//! a sequence of write sets that a cluster node applies exactly as it applies a group another
//! node committed (`cairn cluster-seed` appends them to an empty replicated log).
//!
//! The materialized state comes first (tenancy, personas, dashboards, forwarders, documents,
//! activity definitions, attachments, the statement-id and voided indexes, the audit index and
//! the metadata that describes the log), in write sets without log entries; then the log itself,
//! in order, each write set naming the position it continues from (a single node's log may have
//! holes where erasure or retention removed entries).
//! What belongs to one node only is left out: its projection checkpoint, its position in a
//! replicated log and its forwarding cursors (each cluster node keeps its own).
use crate::{FjallStore, documents, err, seq_of};
use bytes::Bytes;
use cairn_core::Event;
use cairn_core::StoreId;
use cairn_core::ports::{StoreError, WriteSet};
use cairn_core::projector::CHECKPOINT_KEY;
use cairn_core::purge::PENDING_KEY;
use cairn_core::replicated::{APPLIED_META, CONTINUES_META};
use fjall::Readable;
use std::sync::Arc;
use uuid::Uuid;

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportSummary {
    /// Write sets handed to the sink.
    pub write_sets: u64,
    /// Log entries among them.
    pub events: u64,
    /// The last log position exported.
    pub last_seq: u64,
}

/// The `meta` rows that describe one node, not the log: never exported.
const NODE_META: [&str; 2] = [CHECKPOINT_KEY, APPLIED_META];

fn store_and_uuid(k: &[u8]) -> Result<(StoreId, Uuid), StoreError> {
    let (s, id) = split_store(k)?;
    let id = Uuid::from_slice(id).map_err(|_| err("corrupt index key"))?;
    Ok((s, id))
}

fn split_store(k: &[u8]) -> Result<(StoreId, &[u8]), StoreError> {
    if k.len() < 16 {
        return Err(err("corrupt key: shorter than a store id"));
    }
    let s = Uuid::from_slice(&k[..16]).map_err(|_| err("corrupt key"))?;
    Ok((StoreId(s), &k[16..]))
}

fn text(b: &[u8]) -> Result<String, StoreError> {
    String::from_utf8(b.to_vec()).map_err(|_| err("corrupt key: not UTF-8"))
}

/// Builds write sets of about `chunk_bytes` each and hands them on.
struct Chunker<'a> {
    ws: WriteSet,
    /// Entries in `ws` (a write set's parts are many lists).
    entries: usize,
    bytes: usize,
    chunk_bytes: usize,
    sink: &'a mut dyn FnMut(WriteSet) -> Result<(), StoreError>,
    summary: ExportSummary,
}

impl Chunker<'_> {
    fn added(&mut self, bytes: usize) -> Result<(), StoreError> {
        self.entries += 1;
        self.bytes += bytes;
        if self.bytes >= self.chunk_bytes {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StoreError> {
        let ws = std::mem::take(&mut self.ws);
        let entries = std::mem::take(&mut self.entries);
        self.bytes = 0;
        if entries == 0 {
            return Ok(());
        }
        self.summary.write_sets += 1;
        self.summary.events += ws.events.len() as u64;
        (self.sink)(ws)
    }
}

impl FjallStore {
    /// Hands the whole store to `sink` as write sets of about `chunk_bytes` each (one larger
    /// entry makes its own), from one snapshot: the state first, then the log in order (see the
    /// module doc). Refuses a store with a purge still pending (start it once so that the purge
    /// finishes) and a store that is already a cluster node's copy. Blocking.
    pub fn export_write_sets(
        &self,
        chunk_bytes: usize,
        sink: &mut dyn FnMut(WriteSet) -> Result<(), StoreError>,
    ) -> Result<ExportSummary, StoreError> {
        let snap = self.db.snapshot();
        if snap.get(&self.meta, PENDING_KEY).map_err(err)?.is_some() {
            return Err(err(
                "a purge is still pending in this data directory: start this node once with \
                 `cairn serve` so that it finishes, stop it, then seed the cluster",
            ));
        }
        if snap.get(&self.meta, APPLIED_META).map_err(err)?.is_some() {
            return Err(err(
                "this data directory is already a cluster node's copy of a replicated log; \
                 seed a cluster from a single-node installation's data directory",
            ));
        }
        let mut c = Chunker {
            ws: WriteSet::default(),
            entries: 0,
            bytes: 0,
            chunk_bytes: chunk_bytes.max(1),
            sink,
            summary: ExportSummary::default(),
        };
        for kv in snap.iter(&self.entities) {
            let (k, v) = kv.into_inner().map_err(err)?;
            let n = k.len() + v.len();
            c.ws.entities.push((k.to_vec(), Some(v.to_vec())));
            c.added(n)?;
        }
        for kv in snap.iter(&self.personas) {
            let (k, v) = kv.into_inner().map_err(err)?;
            let (store, id) = store_and_uuid(&k)?;
            let n = k.len() + v.len();
            c.ws.personas.push((store, id, Some(v.to_vec())));
            c.added(n)?;
        }
        for kv in snap.iter(&self.dashboards) {
            let (k, v) = kv.into_inner().map_err(err)?;
            let n = k.len() + v.len();
            c.ws.dashboards.push((k.to_vec(), Some(v.to_vec())));
            c.added(n)?;
        }
        for kv in snap.iter(&self.forwarders) {
            let (k, v) = kv.into_inner().map_err(err)?;
            let n = k.len() + v.len();
            c.ws.forwarders.push((k.to_vec(), Some(v.to_vec())));
            c.added(n)?;
        }
        for kv in snap.iter(&self.documents) {
            let (k, v) = kv.into_inner().map_err(err)?;
            let (store, _) = split_store(&k)?;
            let doc = documents::decode(&v)?;
            let n = k.len() + v.len();
            c.ws.documents
                .push((store, doc.key.clone(), Some(Arc::new(doc))));
            c.added(n)?;
        }
        for kv in snap.iter(&self.activities) {
            let (k, v) = kv.into_inner().map_err(err)?;
            let (store, id) = split_store(&k)?;
            let n = k.len() + v.len();
            c.ws.activities.push((store, text(id)?, v.to_vec()));
            c.added(n)?;
        }
        for kv in snap.iter(&self.attachments) {
            let (k, v) = kv.into_inner().map_err(err)?;
            let (store, sha2) = split_store(&k)?;
            let n = k.len() + v.len();
            c.ws.attachments
                .push((store, text(sha2)?, Bytes::copy_from_slice(&v)));
            c.added(n)?;
        }
        for kv in snap.iter(&self.statement_ids) {
            let (k, v) = kv.into_inner().map_err(err)?;
            let (store, id) = store_and_uuid(&k)?;
            c.ws.statement_ids.push((store, id, seq_of(&v)?));
            c.added(k.len() + v.len())?;
        }
        for kv in snap.iter(&self.voided) {
            let (k, v) = kv.into_inner().map_err(err)?;
            let (store, id) = store_and_uuid(&k)?;
            c.ws.voided.push((store, id, seq_of(&v)?));
            c.added(k.len() + v.len())?;
        }
        for kv in snap.iter(&self.audit) {
            let (k, v) = kv.into_inner().map_err(err)?;
            let n = k.len() + v.len();
            c.ws.audit.push((k.to_vec(), v.to_vec()));
            c.added(n)?;
        }
        for kv in snap.iter(&self.meta) {
            let (k, v) = kv.into_inner().map_err(err)?;
            let key = text(&k)?;
            if NODE_META.contains(&key.as_str()) {
                continue;
            }
            let n = k.len() + v.len();
            c.ws.meta.push((key, Some(v.to_vec())));
            c.added(n)?;
        }
        // The state ends where the log starts.
        c.flush()?;
        for kv in snap.iter(&self.log) {
            let (k, v) = kv.into_inner().map_err(err)?;
            let seq = seq_of(&k)?;
            if c.ws.events.is_empty() {
                // Erasure and retention leave holes in a single node's log: each write set
                // names the position it continues from, so that a node can tell a hole that
                // was there from a message it missed.
                let from = c.summary.last_seq.to_be_bytes().to_vec();
                c.ws.meta.push((CONTINUES_META.into(), Some(from)));
            }
            let event = Event::decode(&v)
                .map_err(|e| err(format!("event {seq} cannot be decoded: {e}")))?;
            c.ws.events.push((seq, Arc::new(event)));
            c.summary.last_seq = seq;
            c.added(k.len() + v.len())?;
        }
        c.flush()?;
        Ok(c.summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::record;
    use cairn_core::ports::LogStore;

    fn continues_from(ws: &WriteSet) -> Option<u64> {
        ws.meta
            .iter()
            .find(|(k, _)| k == CONTINUES_META)
            .and_then(|(_, v)| v.as_deref())
            .map(|v| u64::from_be_bytes(v.try_into().unwrap()))
    }

    /// A log with a hole (position 3 erased) and some state: the state comes first, without log
    /// entries; each log write set names where it continues from; a node's own rows stay out;
    /// and applying the write sets to an empty store gives the same store.
    #[test]
    fn the_whole_store_in_order_with_its_holes() {
        let dir = tempfile::tempdir().unwrap();
        let s = FjallStore::open(dir.path(), 8 << 20).unwrap();
        let ids: Vec<Uuid> = (0..5).map(|_| Uuid::new_v4()).collect();
        let ws = WriteSet {
            events: [1u64, 2, 4, 5]
                .iter()
                .zip(&ids)
                .map(|(seq, id)| (*seq, record(*id)))
                .collect(),
            statement_ids: vec![(StoreId::DEFAULT, ids[0], 1), (StoreId::DEFAULT, ids[1], 2)],
            voided: vec![(StoreId::DEFAULT, ids[0], 5)],
            attachments: vec![(StoreId::DEFAULT, "abc".into(), Bytes::from_static(b"hi"))],
            entities: vec![(b"org/1".to_vec(), Some(b"acme".to_vec()))],
            meta: vec![
                ("tenancy_bootstrapped".into(), Some(b"1".to_vec())),
                (CHECKPOINT_KEY.into(), Some(5u64.to_be_bytes().to_vec())),
            ],
            ..Default::default()
        };
        s.commit(&ws).unwrap();
        let mut sets = Vec::new();
        // One entry per write set.
        let summary = s
            .export_write_sets(1, &mut |ws| {
                sets.push(ws);
                Ok(())
            })
            .unwrap();
        assert_eq!(summary.events, 4);
        assert_eq!(summary.last_seq, 5);
        assert_eq!(summary.write_sets, sets.len() as u64);
        let first_log = sets.iter().position(|w| !w.events.is_empty()).unwrap();
        assert!(sets[first_log..].iter().all(|w| w.events.len() == 1));
        let log: Vec<(u64, Option<u64>)> = sets[first_log..]
            .iter()
            .map(|w| (w.events[0].0, continues_from(w)))
            .collect();
        assert_eq!(
            log,
            [(1, Some(0)), (2, Some(1)), (4, Some(2)), (5, Some(4))]
        );
        let meta: Vec<&str> = sets
            .iter()
            .flat_map(|w| &w.meta)
            .map(|(k, _)| k.as_str())
            .collect();
        assert!(meta.contains(&"tenancy_bootstrapped"));
        assert!(!meta.contains(&CHECKPOINT_KEY), "{meta:?}");

        let copy_dir = tempfile::tempdir().unwrap();
        let copy = FjallStore::open(copy_dir.path(), 8 << 20).unwrap();
        for mut w in sets {
            w.meta.retain(|(k, _)| k != CONTINUES_META);
            copy.commit(&w).unwrap();
        }
        assert_eq!(copy.last_seq().unwrap(), 5);
        assert!(copy.event(3).unwrap().is_none());
        assert_eq!(
            copy.statement_seq(StoreId::DEFAULT, ids[1]).unwrap(),
            Some(2)
        );
        assert_eq!(copy.voided_by(StoreId::DEFAULT, ids[0]).unwrap(), Some(5));
        assert_eq!(
            copy.attachment(StoreId::DEFAULT, "abc").unwrap().unwrap(),
            "hi"
        );
        assert_eq!(copy.entities().unwrap().len(), 1);
        assert_eq!(copy.meta_get(CHECKPOINT_KEY).unwrap(), None);
    }

    #[test]
    fn a_store_with_a_pending_purge_or_already_replicated_is_refused() {
        for key in [PENDING_KEY, APPLIED_META] {
            let dir = tempfile::tempdir().unwrap();
            let s = FjallStore::open(dir.path(), 8 << 20).unwrap();
            s.meta_put(key, b"1").unwrap();
            let e = s.export_write_sets(1 << 20, &mut |_| Ok(())).unwrap_err();
            assert!(e.0.contains("data directory"), "{e}");
        }
    }
}
