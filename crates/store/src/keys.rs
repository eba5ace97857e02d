//! The statement key index (`statement_keys` keyspace): one empty-valued entry per filter key
//! of each statement, ordered so that one key's statements are a contiguous, seq-ordered range
//! (see `cairn_core::key_index`).
//!
//! Key: `store(16) ‖ kind(1) ‖ xxh3-64 of the key text (8, zero for the store-wide kind) ‖
//! seq(8)`, integers big-endian. Value: empty for a related-only agent or activity, `[1]` for a
//! direct entry. The hash keeps keys short and fixed; readers check the statement's own keys,
//! so a collision costs one extra read and never a wrong answer.
//!
//! Entries are added in the batch that adds the statement's log entry ([`FjallStore::commit`])
//! and removed in the batch that removes it (purges). The `meta` row [`BUILT_KEY`] records the
//! index's format and whether it holds the whole log: a data directory made before the index
//! existed has a log the index does not cover until it is built from the log.
use crate::{FjallStore, err, seq_of};
use cairn_core::key_index::{IndexEntry, IndexScan, KeyKind, entries};
use cairn_core::{Event, StatementRecord, StoreError, StoreId};
use fjall::{OwnedWriteBatch, PersistMode};
use std::sync::atomic::{AtomicBool, Ordering};

/// The `meta` row: format version byte, then `1` when the index holds every statement of the
/// log, or `0` and the log position (u64 BE) at and below which statements are not indexed yet.
pub const BUILT_KEY: &str = "statement_keys.built";
/// The index's format version (the key layout above).
pub const FORMAT: u8 = 1;
const KEY_LEN: usize = 16 + 1 + 8 + 8;

/// Whether the index covers the whole log (cached from [`BUILT_KEY`]).
#[derive(Debug, Default)]
pub(crate) struct IndexState {
    pub(crate) ready: AtomicBool,
    /// Held by a purge and by each batch of [`FjallStore::build_key_index`], so the build
    /// never adds entries for log entries a purge removed meanwhile.
    pub(crate) build: std::sync::Mutex<()>,
}

/// Log entries read per batch while building the index.
const BUILD_BATCH: usize = 10_000;

fn prefix(store: StoreId, kind: KeyKind, key: Option<&str>) -> [u8; 25] {
    let mut k = [0u8; 25];
    k[..16].copy_from_slice(store.as_bytes());
    k[16] = kind as u8;
    if let Some(text) = key {
        k[17..].copy_from_slice(&xxhash_rust::xxh3::xxh3_64(text.as_bytes()).to_be_bytes());
    }
    k
}

fn entry_key(store: StoreId, e: &IndexEntry<'_>, seq: u64) -> [u8; KEY_LEN] {
    let mut k = [0u8; KEY_LEN];
    k[..25].copy_from_slice(&prefix(store, e.kind, e.key));
    k[25..].copy_from_slice(&seq.to_be_bytes());
    k
}

fn value(e: &IndexEntry<'_>) -> &'static [u8] {
    if e.direct { &[1] } else { &[] }
}

impl FjallStore {
    /// Adds the index entries of statement `r` at `seq` to `b`.
    pub(crate) fn index_statement(&self, b: &mut OwnedWriteBatch, seq: u64, r: &StatementRecord) {
        for e in entries(&r.keys) {
            b.insert(&self.statement_keys, entry_key(r.store, &e, seq), value(&e));
        }
    }

    /// Adds the removal of the index entries of statement `r` at `seq` to `b`.
    pub(crate) fn unindex_statement(&self, b: &mut OwnedWriteBatch, seq: u64, r: &StatementRecord) {
        for e in entries(&r.keys) {
            b.remove(&self.statement_keys, entry_key(r.store, &e, seq));
        }
    }

    /// Reads [`BUILT_KEY`] at open. A new data directory (empty log) is complete at once; an
    /// existing one without the row is not indexed up to its last position.
    pub(crate) fn open_key_index(&self) -> Result<(), StoreError> {
        let ready = match self.meta.get(BUILT_KEY).map_err(err)? {
            Some(v) => v.len() >= 2 && v[0] == FORMAT && v[1] == 1,
            None => {
                let last = cairn_core::LogStore::last_seq(self)?;
                let mut row = vec![FORMAT, u8::from(last == 0)];
                if last > 0 {
                    row.extend_from_slice(&last.to_be_bytes());
                }
                self.meta.insert(BUILT_KEY, row).map_err(err)?;
                last == 0
            }
        };
        self.key_index.ready.store(ready, Ordering::Release);
        Ok(())
    }

    /// Records that the index covers none of the log (a restore loads a log without it).
    pub(crate) fn mark_unindexed(&self) -> Result<(), StoreError> {
        let last = cairn_core::LogStore::last_seq(self)?;
        let mut row = vec![FORMAT, 0];
        row.extend_from_slice(&last.to_be_bytes());
        self.meta.insert(BUILT_KEY, row).map_err(err)?;
        self.key_index.ready.store(false, Ordering::Release);
        Ok(())
    }

    /// Whether the key index covers the whole log. When it does not, call
    /// [`FjallStore::build_key_index`] (filtered reads ask ClickHouse meanwhile).
    pub fn key_index_complete(&self) -> bool {
        self.index_ready()
    }

    /// Builds the index entries of the statements it does not cover yet (those of a data
    /// directory made before the index existed, or of a restored backup) from the log, in
    /// batches, then records that the index is complete. Answers the statements indexed.
    /// Blocking. Safe while the writer appends (it indexes its own statements) and while purges
    /// run (they wait for the batch in hand). Interrupted, it starts again at the next open.
    pub fn build_key_index(&self) -> Result<u64, StoreError> {
        let row = self.meta.get(BUILT_KEY).map_err(err)?;
        let upto = match row.as_deref() {
            Some([FORMAT, 1, ..]) => return Ok(0),
            Some([FORMAT, 0, upto @ ..]) => seq_of(upto)?,
            _ => cairn_core::LogStore::last_seq(self)?,
        };
        let (mut after, mut indexed) = (0u64, 0u64);
        while after < upto {
            let _purges = self.key_index.build.lock().map_err(err)?;
            let mut b = self.db.batch();
            let mut last = after;
            for kv in self
                .log
                .range((after + 1).to_be_bytes()..=upto.to_be_bytes())
                .take(BUILD_BATCH)
            {
                let (k, v) = kv.into_inner().map_err(err)?;
                last = seq_of(&k)?;
                if let Event::Statement(r) = self.decode(last, &v)? {
                    self.index_statement(&mut b, last, &r);
                    indexed += 1;
                }
            }
            b.commit().map_err(err)?;
            if last == after {
                break;
            }
            after = last;
        }
        let mut b = self.db.batch().durability(Some(PersistMode::SyncAll));
        b.insert(&self.meta, BUILT_KEY, [FORMAT, 1]);
        b.commit().map_err(err)?;
        self.key_index.ready.store(true, Ordering::Release);
        Ok(indexed)
    }

    pub(crate) fn index_ready(&self) -> bool {
        self.key_index.ready.load(Ordering::Acquire)
    }

    pub(crate) fn index_seqs(
        &self,
        scan: &IndexScan<'_>,
        limit: usize,
    ) -> Result<Vec<(u64, bool)>, StoreError> {
        let mut out = Vec::new();
        if scan.above >= scan.upto {
            return Ok(out);
        }
        let p = prefix(scan.store, scan.kind, scan.key);
        let bound = |seq: u64| {
            let mut k = [0u8; KEY_LEN];
            k[..25].copy_from_slice(&p);
            k[25..].copy_from_slice(&seq.to_be_bytes());
            k
        };
        let range = self
            .statement_keys
            .range(bound(scan.above + 1)..=bound(scan.upto));
        let mut push = |kv: fjall::Guard| -> Result<(), StoreError> {
            let (k, v) = kv.into_inner().map_err(err)?;
            out.push((seq_of(&k[25..])?, !v.is_empty()));
            Ok(())
        };
        if scan.ascending {
            for kv in range.take(limit) {
                push(kv)?;
            }
        } else {
            for kv in range.rev().take(limit) {
                push(kv)?;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_layout_is_frozen() {
        let store = StoreId(uuid::Uuid::from_u128(0x0102));
        let e = IndexEntry {
            kind: KeyKind::Verb,
            key: Some("http://adlnet.gov/expapi/verbs/completed"),
            direct: true,
        };
        let k = entry_key(store, &e, 0x0A0B);
        assert_eq!(&k[..16], store.as_bytes());
        assert_eq!(k[16], 4);
        assert_eq!(
            hex::encode(&k[17..25]),
            hex::encode(
                xxhash_rust::xxh3::xxh3_64(b"http://adlnet.gov/expapi/verbs/completed")
                    .to_be_bytes()
            )
        );
        assert_eq!(&k[25..], &[0, 0, 0, 0, 0, 0, 0x0A, 0x0B]);
        let wide = IndexEntry {
            kind: KeyKind::StoreWide,
            key: None,
            direct: true,
        };
        assert_eq!(&entry_key(store, &wide, 1)[16..25], &[0u8; 9]);
        // xxh3 is a fixed algorithm: the stored hashes never change under a crate update.
        assert_eq!(xxhash_rust::xxh3::xxh3_64(b""), 0x2D06_8005_38D3_94C2);
    }
}
