//! `cairn-store` is the embedded storage adapter: the event log, the statement-id and voided
//! indexes, attachment bodies and small metadata, in one fjall database (an LSM-tree with a
//! write-ahead journal). It implements [`cairn_core::LogStore`]; a write set is one atomic fjall
//! batch persisted with `SyncAll` (fsync) before `commit` returns.
//!
//! Key layout (all integers big-endian so keys sort numerically):
//! - `log`: `seq` → encoded [`cairn_core::Event`]
//! - `statement_ids`: `store(16) ‖ statement id(16)` → `seq`
//! - `voided`: `store(16) ‖ voided statement id(16)` → `seq` of the voiding statement
//! - `attachments`: `store(16) ‖ sha2 (lowercase hex)` → body
//! - `meta`: name → value
//! - `entities`: tenancy kind tag ‖ id → encoded entity (see `cairn_core::tenancy`)
//! - `personas`: `store(16) ‖ persona id(16)` → encoded persona (see `cairn_core::personas`)
//! - `dashboards`: kind tag (`d`ashboard, `w`idget, share `l`ink) ‖ id(16) → versioned record
//!   (see `cairn_core::dashboards`)
//! - `forwarders`: forwarder id(16) → versioned forwarder (see `cairn_core::forwarding`)
//! - `forwarding`: `c` ‖ forwarder id → cursor; `d` ‖ forwarder id ‖ dead letter id → dead
//!   letter (delivery records, written by the forwarding tasks, not the writer)
//! - `documents`, `activities`: see [`documents`]
//! - `audit`: `at_us(8) ‖ seq(8)` → encoded audit record (see `cairn_core::audit`)
//! - `statement_keys`: `store(16) ‖ kind(1) ‖ key hash(8) ‖ first seq(8)` → the positions of one
//!   written batch under that key, with their direct flags (see [`keys`] and `key_groups`)
pub mod backup;
mod documents;
pub mod export;
mod flush;
pub mod journal;
mod key_groups;
pub mod keys;
mod purge;

use bytes::Bytes;
use cairn_core::ports::{LogStore, StoreError, WriteSet};
use cairn_core::{Event, StoreId};
use fjall::config::{BlockSizePolicy, CompressionPolicy};
use fjall::{CompressionType, Database, Keyspace, KeyspaceCreateOptions, PersistMode};
use std::path::Path;
use uuid::Uuid;

/// The data block size of the keyspaces holding statement and document bodies.
const BODY_BLOCK_BYTES: u32 = 16 * 1024;

/// The fjall-backed log store. Cheap to clone.
#[derive(Clone)]
pub struct FjallStore {
    db: Database,
    log: Keyspace,
    statement_ids: Keyspace,
    voided: Keyspace,
    attachments: Keyspace,
    meta: Keyspace,
    documents: Keyspace,
    activities: Keyspace,
    entities: Keyspace,
    personas: Keyspace,
    dashboards: Keyspace,
    forwarders: Keyspace,
    forwarding: Keyspace,
    /// The data directory (purges look at its journal files).
    dir: std::path::PathBuf,
    audit: Keyspace,
    /// The statement key index (see [`keys`]) and whether it covers the whole log.
    statement_keys: Keyspace,
    key_index: std::sync::Arc<keys::IndexState>,
    /// How long a purge waits for a memtable flush, and whether one never came (see
    /// [`flush`]): then every later commit is refused, so the node restarts.
    flushes: std::sync::Arc<flush::Flushes>,
}

pub(crate) fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

fn pair_key(store: StoreId, id: Uuid) -> [u8; 32] {
    let mut k = [0u8; 32];
    k[..16].copy_from_slice(store.as_bytes());
    k[16..].copy_from_slice(id.as_bytes());
    k
}

fn attachment_key(store: StoreId, sha2: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(16 + sha2.len());
    k.extend_from_slice(store.as_bytes());
    k.extend(sha2.bytes().map(|b| b.to_ascii_lowercase()));
    k
}

fn seq_of(v: &[u8]) -> Result<u64, StoreError> {
    v.try_into()
        .map(u64::from_be_bytes)
        .map_err(|_| err("corrupt sequence number"))
}

impl FjallStore {
    /// Writes forwarding's delivery records in one batch, persisted as `mode` says.
    fn forwarding_batch(
        &self,
        rows: &[(Vec<u8>, Option<Vec<u8>>)],
        mode: PersistMode,
    ) -> Result<(), StoreError> {
        let mut b = self.db.batch().durability(Some(mode));
        for (key, value) in rows {
            match value {
                Some(v) => b.insert(&self.forwarding, key.as_slice(), v.as_slice()),
                None => b.remove(&self.forwarding, key.as_slice()),
            }
        }
        b.commit().map_err(err)
    }

    /// Opens (or creates) the store in `dir` with the default journal bound
    /// ([`journal::DEFAULT_JOURNAL_BYTES`]). `cache_bytes` sizes fjall's block cache.
    pub fn open(dir: &Path, cache_bytes: u64) -> Result<Self, StoreError> {
        Self::open_with_journal(dir, cache_bytes, journal::DEFAULT_JOURNAL_BYTES)
    }

    /// [`FjallStore::open`] keeping at most about `journal_bytes` of write-ahead journal on
    /// disk (at least [`journal::MIN_JOURNAL_BYTES`]; see [`journal`]).
    pub fn open_with_journal(
        dir: &Path,
        cache_bytes: u64,
        journal_bytes: u64,
    ) -> Result<Self, StoreError> {
        journal::check(journal_bytes)?;
        let db = Database::builder(dir)
            .cache_size(cache_bytes)
            .max_journaling_size(journal_bytes)
            .open()
            .map_err(err)?;
        Self::on(db, dir, flush::Flushes::default())
    }

    fn on(db: Database, dir: &Path, flushes: flush::Flushes) -> Result<Self, StoreError> {
        let ks = |name: &str| {
            db.keyspace(name, KeyspaceCreateOptions::default)
                .map_err(err)
        };
        // Statement bodies (JSON) compress several times over with LZ4. fjall's default leaves
        // the first two levels uncompressed, and an append-only keyspace's tables are moved down
        // the levels without being rewritten, so they would stay uncompressed for good: compress
        // every level of the keyspaces that hold bodies. (The policy is fixed when a keyspace is
        // created; data directories made before this keep theirs.) Blocks of 16 KiB rather
        // than 4 KiB hold several statements, which share most of their text.
        let bodies = |name: &str| {
            db.keyspace(name, || {
                let mut o = KeyspaceCreateOptions::default()
                    .data_block_compression_policy(CompressionPolicy::all(CompressionType::Lz4));
                o.data_block_size_policy = BlockSizePolicy::all(BODY_BLOCK_BYTES);
                o
            })
            .map_err(err)
        };
        let index = db.keyspace("statement_keys", keys::options).map_err(err)?;
        let mut store = FjallStore {
            log: bodies("log")?,
            statement_ids: ks("statement_ids")?,
            voided: ks("voided")?,
            attachments: bodies("attachments")?,
            meta: ks("meta")?,
            documents: bodies("documents")?,
            activities: ks("activities")?,
            entities: ks("entities")?,
            personas: ks("personas")?,
            dashboards: ks("dashboards")?,
            forwarders: ks("forwarders")?,
            forwarding: ks("forwarding")?,
            dir: dir.to_path_buf(),
            audit: ks("audit")?,
            statement_keys: index,
            key_index: Default::default(),
            flushes: std::sync::Arc::new(flushes),
            db,
        };
        store.open_key_index()?;
        Ok(store)
    }

    /// Every keyspace with its name, in a fixed order.
    pub(crate) fn keyspaces(&self) -> [(&'static str, &Keyspace); 14] {
        [
            ("log", &self.log),
            ("statement_ids", &self.statement_ids),
            ("voided", &self.voided),
            ("attachments", &self.attachments),
            ("meta", &self.meta),
            ("documents", &self.documents),
            ("activities", &self.activities),
            ("entities", &self.entities),
            ("personas", &self.personas),
            ("dashboards", &self.dashboards),
            ("forwarders", &self.forwarders),
            ("forwarding", &self.forwarding),
            ("audit", &self.audit),
            ("statement_keys", &self.statement_keys),
        ]
    }

    fn decode(&self, seq: u64, v: &[u8]) -> Result<Event, StoreError> {
        Event::decode(v).map_err(|e| err(format!("event {seq} cannot be decoded: {e}")))
    }
}

impl LogStore for FjallStore {
    fn last_seq(&self) -> Result<u64, StoreError> {
        match self.log.last_key_value() {
            Some(kv) => seq_of(&kv.key().map_err(err)?),
            None => Ok(0),
        }
    }

    fn commit(&self, ws: &WriteSet) -> Result<(), StoreError> {
        self.flushes.check()?;
        let mut b = self.db.batch().durability(Some(PersistMode::SyncAll));
        let mut index = key_groups::Groups::default();
        for (seq, e) in &ws.events {
            b.insert(&self.log, seq.to_be_bytes(), e.encode());
            if let Event::Statement(r) = &**e {
                index.add(*seq, r);
            }
        }
        index.write(&self.statement_keys, &mut b);
        for (store, id, seq) in &ws.statement_ids {
            b.insert(
                &self.statement_ids,
                pair_key(*store, *id),
                seq.to_be_bytes(),
            );
        }
        for (store, id, seq) in &ws.voided {
            b.insert(&self.voided, pair_key(*store, *id), seq.to_be_bytes());
        }
        for (store, sha2, body) in &ws.attachments {
            b.insert(
                &self.attachments,
                attachment_key(*store, sha2),
                body.as_ref(),
            );
        }
        for (store, key, doc) in &ws.documents {
            let k = documents::document_key(*store, key);
            match doc {
                Some(d) => b.insert(&self.documents, k, documents::encode(d)),
                None => b.remove(&self.documents, k),
            }
        }
        for (store, id, def) in &ws.activities {
            b.insert(
                &self.activities,
                documents::activity_key(*store, id),
                def.as_slice(),
            );
        }
        for (key, value) in &ws.dashboards {
            match value {
                Some(v) => b.insert(&self.dashboards, key.as_slice(), v.as_slice()),
                None => b.remove(&self.dashboards, key.as_slice()),
            }
        }
        for (key, value) in &ws.forwarders {
            match value {
                Some(v) => b.insert(&self.forwarders, key.as_slice(), v.as_slice()),
                None => b.remove(&self.forwarders, key.as_slice()),
            }
        }
        for (key, value) in &ws.entities {
            match value {
                Some(v) => b.insert(&self.entities, key.as_slice(), v.as_slice()),
                None => b.remove(&self.entities, key.as_slice()),
            }
        }
        for (key, value) in &ws.meta {
            match value {
                Some(v) => b.insert(&self.meta, key.as_str(), v.as_slice()),
                None => b.remove(&self.meta, key.as_str()),
            }
        }
        for (key, value) in &ws.audit {
            b.insert(&self.audit, key.as_slice(), value.as_slice());
        }
        for (store, id, value) in &ws.personas {
            let mut key = Vec::with_capacity(32);
            key.extend_from_slice(store.0.as_bytes());
            key.extend_from_slice(id.as_bytes());
            match value {
                Some(v) => b.insert(&self.personas, key, v.as_slice()),
                None => b.remove(&self.personas, key),
            }
        }
        b.commit().map_err(err)
    }

    fn event(&self, seq: u64) -> Result<Option<Event>, StoreError> {
        match self.log.get(seq.to_be_bytes()).map_err(err)? {
            Some(v) => self.decode(seq, &v).map(Some),
            None => Ok(None),
        }
    }

    fn events_after(&self, after: u64, limit: usize) -> Result<Vec<(u64, Event)>, StoreError> {
        let start = (after + 1).to_be_bytes();
        let mut out = Vec::new();
        for kv in self.log.range(start..).take(limit) {
            let (k, v) = kv.into_inner().map_err(err)?;
            let seq = seq_of(&k)?;
            out.push((seq, self.decode(seq, &v)?));
        }
        Ok(out)
    }

    fn events_before(&self, before: u64, limit: usize) -> Result<Vec<(u64, Event)>, StoreError> {
        let end = before.to_be_bytes();
        let mut out = Vec::new();
        for kv in self.log.range(..end).rev().take(limit) {
            let (k, v) = kv.into_inner().map_err(err)?;
            let seq = seq_of(&k)?;
            out.push((seq, self.decode(seq, &v)?));
        }
        Ok(out)
    }

    fn statement_seq(&self, store: StoreId, id: Uuid) -> Result<Option<u64>, StoreError> {
        match self.statement_ids.get(pair_key(store, id)).map_err(err)? {
            Some(v) => seq_of(&v).map(Some),
            None => Ok(None),
        }
    }

    fn voided_by(&self, store: StoreId, id: Uuid) -> Result<Option<u64>, StoreError> {
        match self.voided.get(pair_key(store, id)).map_err(err)? {
            Some(v) => seq_of(&v).map(Some),
            None => Ok(None),
        }
    }

    fn attachment(&self, store: StoreId, sha2: &str) -> Result<Option<Bytes>, StoreError> {
        Ok(self
            .attachments
            .get(attachment_key(store, sha2))
            .map_err(err)?
            .map(|v| Bytes::copy_from_slice(&v)))
    }

    fn document(
        &self,
        store: StoreId,
        key: &cairn_core::documents::DocumentKey,
    ) -> Result<Option<cairn_core::documents::DocumentRecord>, StoreError> {
        self.get_document(store, key)
    }

    fn documents(
        &self,
        store: StoreId,
        scope: &cairn_core::documents::DocumentScope,
    ) -> Result<Vec<cairn_core::documents::DocumentRecord>, StoreError> {
        self.list_documents(store, scope)
    }

    fn activity(&self, store: StoreId, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.get_activity(store, id)
    }

    fn entities(&self) -> Result<Vec<cairn_core::ports::EntityRow>, StoreError> {
        let mut out = Vec::new();
        for kv in self.entities.iter() {
            let (k, v) = kv.into_inner().map_err(err)?;
            out.push((k.to_vec(), v.to_vec()));
        }
        Ok(out)
    }

    fn dashboards(&self) -> Result<Vec<cairn_core::ports::EntityRow>, StoreError> {
        let mut out = Vec::new();
        for kv in self.dashboards.iter() {
            let (k, v) = kv.into_inner().map_err(err)?;
            out.push((k.to_vec(), v.to_vec()));
        }
        Ok(out)
    }

    fn forwarders(&self) -> Result<Vec<cairn_core::ports::EntityRow>, StoreError> {
        let mut out = Vec::new();
        for kv in self.forwarders.iter() {
            let (k, v) = kv.into_inner().map_err(err)?;
            out.push((k.to_vec(), v.to_vec()));
        }
        Ok(out)
    }

    fn forwarding_rows(
        &self,
        prefix: &[u8],
    ) -> Result<Vec<cairn_core::ports::EntityRow>, StoreError> {
        let mut out = Vec::new();
        for kv in self.forwarding.prefix(prefix) {
            let (k, v) = kv.into_inner().map_err(err)?;
            out.push((k.to_vec(), v.to_vec()));
        }
        Ok(out)
    }

    fn forwarding_write(&self, rows: &[(Vec<u8>, Option<Vec<u8>>)]) -> Result<(), StoreError> {
        self.forwarding_batch(rows, PersistMode::SyncAll)
    }

    fn forwarding_write_buffered(
        &self,
        rows: &[(Vec<u8>, Option<Vec<u8>>)],
    ) -> Result<(), StoreError> {
        self.forwarding_batch(rows, PersistMode::Buffer)
    }

    fn personas(&self) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut out = Vec::new();
        for kv in self.personas.iter() {
            let (_, v) = kv.into_inner().map_err(err)?;
            out.push(v.to_vec());
        }
        Ok(out)
    }

    fn audit_before(
        &self,
        before: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<cairn_core::ports::EntityRow>, StoreError> {
        let rows = match before {
            Some(b) => self.audit.range(..b.to_vec()),
            None => self.audit.iter(),
        };
        let mut out = Vec::new();
        for kv in rows.rev().take(limit) {
            let (k, v) = kv.into_inner().map_err(err)?;
            out.push((k.to_vec(), v.to_vec()));
        }
        Ok(out)
    }

    fn key_index_ready(&self) -> bool {
        self.index_ready()
    }

    fn key_index_seqs(
        &self,
        scan: &cairn_core::key_index::IndexScan<'_>,
        limit: usize,
    ) -> Result<Vec<(u64, bool)>, StoreError> {
        self.index_seqs(scan, limit)
    }

    fn meta_get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.meta.get(key).map_err(err)?.map(|v| v.to_vec()))
    }

    fn meta_put(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.meta.insert(key, value).map_err(err)
    }

    fn purge(&self, plan: &cairn_core::purge::PurgePlan) -> Result<u64, StoreError> {
        self.purge_plan(plan)
    }

    fn compact(&self) -> Result<(), StoreError> {
        self.compact_all()
    }

    fn compact_meta(&self) -> Result<(), StoreError> {
        self.rewrite_meta()
    }
}

#[cfg(test)]
mod tests;
