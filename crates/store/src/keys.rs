//! The statement key index (`statement_keys` keyspace), ordered so that one key's statements
//! are a contiguous, seq-ordered range (see `cairn_core::key_index`).
//!
//! Key: `store(16) ‖ kind(1) ‖ xxh3-64 of the key text (8, zero for the store-wide kind) ‖
//! seq(8)`, integers big-endian. Since format 2 an entry holds every statement of one written
//! batch under that key (its key's seq is the first of them; see [`crate::key_groups`]): a
//! batch of 100 statements with one verb writes one verb entry, not 100. The hash keeps keys
//! short and fixed; readers check the statement's own keys, so a collision costs one extra read
//! and never a wrong answer.
//!
//! Entries are added in the batch that adds the statements' log entries
//! ([`FjallStore::commit`]) and rewritten in the batch that removes them (purges). The `meta`
//! row [`BUILT_KEY`] records the index's format and whether it holds the whole log: a data
//! directory made before the index existed (or with an index of an older format, which is
//! dropped at open) has a log the index does not cover until it is built from the log.
use crate::key_groups::{Groups, decode, group_key};
use crate::{FjallStore, err, seq_of};
use cairn_core::key_index::{IndexScan, KeyKind};
use cairn_core::{Event, StatementRecord, StoreError, StoreId};
use fjall::config::{CompressionPolicy, FilterPolicy, FilterPolicyEntry};
use fjall::{CompressionType, KeyspaceCreateOptions, PersistMode};
use std::sync::atomic::{AtomicBool, Ordering};

/// The `meta` row: format version byte, then `1` when the index holds every statement of the
/// log, or `0` and the log position (u64 BE) at and below which statements are not indexed yet.
pub const BUILT_KEY: &str = "statement_keys.built";
/// The index's format version: 1 had one entry per statement and key, 2 one per batch and key.
pub const FORMAT: u8 = 2;
pub(crate) const PREFIX_LEN: usize = 16 + 1 + 8;
/// An entry's key length.
pub const KEY_LEN: usize = PREFIX_LEN + 8;

/// The keyspace's options (used when it is created). Index keys share long prefixes and
/// compress well at every level. It is only ever read by range, so it builds no bloom filters
/// (they answer point reads only).
pub(crate) fn options() -> KeyspaceCreateOptions {
    KeyspaceCreateOptions::default()
        .data_block_compression_policy(CompressionPolicy::all(CompressionType::Lz4))
        .filter_policy(FilterPolicy::all(FilterPolicyEntry::None))
}

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

/// The key index entries (key, value) that a batch of these statements writes, in ascending
/// position. What [`FjallStore::commit`] adds to its batch; public for the benches.
pub fn batch_entries<'a>(
    statements: impl IntoIterator<Item = (u64, &'a StatementRecord)>,
) -> Vec<([u8; KEY_LEN], Vec<u8>)> {
    let mut groups = Groups::default();
    for (seq, r) in statements {
        groups.add(seq, r);
    }
    groups.into_entries().collect()
}

pub(crate) fn prefix(store: StoreId, kind: KeyKind, key: Option<&str>) -> [u8; PREFIX_LEN] {
    let mut k = [0u8; PREFIX_LEN];
    k[..16].copy_from_slice(store.as_bytes());
    k[16] = kind as u8;
    if let Some(text) = key {
        k[17..].copy_from_slice(&xxhash_rust::xxh3::xxh3_64(text.as_bytes()).to_be_bytes());
    }
    k
}

impl FjallStore {
    /// Reads [`BUILT_KEY`] at open. A new data directory (empty log) is complete at once; an
    /// existing one without the row is not indexed up to its last position. An index of an
    /// older format is dropped and built again.
    pub(crate) fn open_key_index(&mut self) -> Result<(), StoreError> {
        let row = self.meta.get(BUILT_KEY).map_err(err)?;
        let row = match row {
            Some(v) if v.first() != Some(&FORMAT) => {
                let old = self.statement_keys.clone();
                self.db.delete_keyspace(old).map_err(err)?;
                self.statement_keys = self.db.keyspace("statement_keys", options).map_err(err)?;
                None
            }
            row => row,
        };
        let ready = match row {
            Some(v) => v.len() >= 2 && v[1] == 1,
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
            let mut groups = Groups::default();
            let mut last = after;
            for kv in self
                .log
                .range((after + 1).to_be_bytes()..=upto.to_be_bytes())
                .take(BUILD_BATCH)
            {
                let (k, v) = kv.into_inner().map_err(err)?;
                last = seq_of(&k)?;
                if let Event::Statement(r) = self.decode(last, &v)? {
                    groups.add(last, &r);
                    indexed += 1;
                }
            }
            groups.write(&self.statement_keys, &mut b);
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

    /// Up to `limit` positions (with their direct flags) of the scan's range, in its order.
    pub(crate) fn index_seqs(
        &self,
        scan: &IndexScan<'_>,
        limit: usize,
    ) -> Result<Vec<(u64, bool)>, StoreError> {
        let mut out = Vec::new();
        if scan.above >= scan.upto || limit == 0 {
            return Ok(out);
        }
        let (lo, hi) = (scan.above + 1, scan.upto);
        let p = prefix(scan.store, scan.kind, scan.key);
        let ks = &self.statement_keys;
        // The group holding `lo` may start below it: the last group at or below `lo`.
        let start = match ks.range(group_key(&p, 0)..=group_key(&p, lo)).next_back() {
            Some(kv) => seq_of(&kv.key().map_err(err)?[PREFIX_LEN..])?,
            None => lo,
        };
        let range = ks.range(group_key(&p, start)..=group_key(&p, hi));
        let group = |kv: fjall::Guard| -> Result<Vec<(u64, bool)>, StoreError> {
            let (k, v) = kv.into_inner().map_err(err)?;
            let mut g = decode(seq_of(&k[PREFIX_LEN..])?, &v)?;
            g.retain(|(s, _)| (lo..=hi).contains(s));
            Ok(g)
        };
        if scan.ascending {
            for kv in range {
                for hit in group(kv)? {
                    out.push(hit);
                    if out.len() >= limit {
                        return Ok(out);
                    }
                }
            }
        } else {
            for kv in range.rev() {
                for hit in group(kv)?.into_iter().rev() {
                    out.push(hit);
                    if out.len() >= limit {
                        return Ok(out);
                    }
                }
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
        let p = prefix(
            store,
            KeyKind::Verb,
            Some("http://adlnet.gov/expapi/verbs/completed"),
        );
        let k = group_key(&p, 0x0A0B);
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
        let wide = prefix(store, KeyKind::StoreWide, None);
        assert_eq!(&group_key(&wide, 1)[16..25], &[0u8; 9]);
        // xxh3 is a fixed algorithm: the stored hashes never change under a crate update.
        assert_eq!(xxhash_rust::xxh3::xxh3_64(b""), 0x2D06_8005_38D3_94C2);
    }
}
