//! Purges: removing log entries, their indexes and the documents, attachments and personas a
//! [`PurgePlan`] lists, then rewriting fjall's files so the removed bytes leave the disk.
//!
//! A removal in an LSM-tree is a tombstone: the old value stays in the journal and in the table
//! files until they are rewritten. [`FjallStore::compact_all`] therefore:
//! 1. pads the active journal past the size at which fjall seals it (64 MB, checked when a
//!    memtable is flushed), with [`PAD_CHUNK_BYTES`] blocks of noise in the `purge_pad`
//!    keyspace, and flushes that keyspace: the journal holding the removed entries is sealed;
//! 2. removes the padding and flushes every keyspace: every sealed journal is then fully in
//!    table files, and fjall deletes it;
//! 3. runs a major compaction of every keyspace: the tables are rewritten without the removed
//!    values and the tombstones; it then checks that every table file older than the
//!    compaction is gone (fjall deletes a replaced file once no version of the tree refers to
//!    it; versions are collected when a memtable is rotated, which it does with a scratch key).
//!
//! So the bytes are gone from the data directory when `compact_all` returns. It writes about
//! 64 MB of padding and rewrites the whole store once (disk time proportional to the data
//! directory's size).
use crate::key_groups::Removals;
use crate::{FjallStore, documents, err, pair_key, seq_of};
use cairn_core::purge::{PurgePlan, PurgeReason, PurgeScope};
use cairn_core::{Event, StoreError, StoreId};
use fjall::{KeyspaceCreateOptions, OwnedWriteBatch, PersistMode};

/// fjall seals its active journal at a flush once the journal is past this many bytes.
const JOURNAL_SEAL_BYTES: u64 = 64_000_000;
/// One block of journal padding.
const PAD_CHUNK_BYTES: usize = 1 << 20;
/// Removals per batch when purging a whole store.
const STORE_BATCH: usize = 10_000;
/// Attempts at a major compaction of one keyspace, and at collecting its old versions.
const COMPACT_TRIES: usize = 50;
/// How long a purge's compaction waits for the data directory's background compactions to
/// finish before it gives up (the purge then stays pending and is finished at the next try).
const BACKGROUND_COMPACTION_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

impl FjallStore {
    fn batch(&self) -> OwnedWriteBatch {
        self.db.batch().durability(Some(PersistMode::SyncAll))
    }

    /// Adds the increment of the log-rewrite counter to `b`.
    fn count_rewrite(&self, b: &mut OwnedWriteBatch) -> Result<(), StoreError> {
        let n = self
            .meta
            .get(cairn_core::ports::LOG_REWRITES_KEY)
            .map_err(err)?
            .and_then(|v| <[u8; 8]>::try_from(&*v).ok())
            .map(u64::from_be_bytes)
            .unwrap_or(0);
        b.insert(
            &self.meta,
            cairn_core::ports::LOG_REWRITES_KEY,
            (n + 1).to_be_bytes(),
        );
        Ok(())
    }

    /// Adds the removal of log entry `seq` (and of its indexes) to `b`, its key index entries to
    /// `index` (written once per batch). The record
    /// that the statement is voided stays when `keep_voided` accepts the voiding statement's seq.
    fn remove_entry(
        &self,
        b: &mut OwnedWriteBatch,
        index: &mut Removals,
        seq: u64,
        keep_voided: impl Fn(u64) -> bool,
    ) -> Result<bool, StoreError> {
        let Some(v) = self.log.get(seq.to_be_bytes()).map_err(err)? else {
            return Ok(false);
        };
        match self.decode(seq, &v)? {
            Event::Statement(r) => {
                index.add(seq, &r);
                b.remove(&self.statement_ids, pair_key(r.store, r.id));
                let key = pair_key(r.store, r.id);
                let voider = match self.voided.get(key).map_err(err)? {
                    Some(v) => Some(seq_of(&v)?),
                    None => None,
                };
                if !voider.is_some_and(keep_voided) {
                    b.remove(&self.voided, pair_key(r.store, r.id));
                }
            }
            // A plan removes every event of the documents it removes, so the document goes
            // with its events. This is what removes it on a cluster node that applies a plan
            // from the rewritten log, where the plan no longer names the documents (their keys
            // hold the person's identifier).
            Event::Document(d) => {
                b.remove(
                    &self.documents,
                    documents::document_key(d.store, &d.doc.key),
                );
            }
            _ => {}
        }
        b.remove(&self.log, seq.to_be_bytes());
        Ok(true)
    }

    pub(crate) fn purge_plan(&self, plan: &PurgePlan) -> Result<u64, StoreError> {
        // Not while the key index is being built from entries this may remove.
        let _build = self.key_index.build.lock().map_err(err)?;
        match &plan.scope {
            PurgeScope::Entries { .. } => self.purge_entries(plan),
            PurgeScope::Store(store) => self.purge_store(*store),
        }
    }

    fn purge_entries(&self, plan: &PurgePlan) -> Result<u64, StoreError> {
        let mut b = self.batch();
        let mut removed = 0;
        let rewritten: std::collections::HashSet<u64> =
            plan.persona_rewrites.iter().map(|(s, _)| *s).collect();
        // An archived statement voided by a statement that stays is still voided when its
        // month is restored (the voiding statement is not sent again).
        let planned: std::collections::HashSet<u64> = plan.seqs.iter().copied().collect();
        let keep_voided =
            |voider: u64| plan.reason == PurgeReason::Retention && !planned.contains(&voider);
        let mut index = Removals::default();
        for seq in plan.seqs.iter().filter(|s| !rewritten.contains(s)) {
            removed += u64::from(self.remove_entry(&mut b, &mut index, *seq, keep_voided)?);
        }
        index.write(&self.statement_keys, &mut b)?;
        // Persona history rewritten without the erased identifiers (in place of removed
        // entries), and the personas as it now builds them.
        for (seq, e) in &plan.persona_rewrites {
            let event = Event::Persona(std::sync::Arc::new(e.clone()));
            b.insert(&self.log, seq.to_be_bytes(), event.encode());
        }
        let kept: Vec<_> = plan.rewritten_personas();
        for p in &kept {
            b.insert(
                &self.personas,
                pair_key(p.store, p.id),
                cairn_core::personas::encode(p),
            );
        }
        for u in &plan.unvoid {
            b.remove(&self.voided, pair_key(u.store, u.id));
        }
        for (store, key) in &plan.documents {
            b.remove(&self.documents, documents::document_key(*store, key));
        }
        for (store, sha2) in &plan.attachments {
            b.remove(&self.attachments, crate::attachment_key(*store, sha2));
        }
        for (store, id) in &plan.personas {
            if !kept.iter().any(|p| p.store == *store && p.id == *id) {
                b.remove(&self.personas, pair_key(*store, *id));
            }
        }
        self.count_rewrite(&mut b)?;
        b.commit().map_err(err)?;
        Ok(removed)
    }

    /// Every statement, document and persona event of `store`, and every row of the store's
    /// indexes, documents, attachments, activities and personas, in batches.
    fn purge_store(&self, store: StoreId) -> Result<u64, StoreError> {
        let mut removed = 0;
        let mut seqs = Vec::new();
        let mut after = 0u64;
        loop {
            let chunk: Vec<_> = self
                .log
                .range((after + 1).to_be_bytes()..)
                .take(STORE_BATCH * 4)
                .collect();
            let Some(_) = chunk.last() else { break };
            for kv in chunk {
                let (k, v) = kv.into_inner().map_err(err)?;
                let seq = seq_of(&k)?;
                after = seq;
                let ours = match self.decode(seq, &v)? {
                    Event::Statement(r) => r.store == store,
                    Event::Document(d) => d.store == store,
                    Event::Persona(p) => p.store == store,
                    _ => false,
                };
                if ours {
                    seqs.push(seq);
                }
            }
            if seqs.len() >= STORE_BATCH {
                removed += self.remove_seqs(&std::mem::take(&mut seqs))?;
            }
        }
        removed += self.remove_seqs(&seqs)?;
        for ks in [
            &self.statement_ids,
            &self.voided,
            &self.attachments,
            &self.documents,
            &self.activities,
            &self.personas,
            &self.statement_keys,
        ] {
            loop {
                let keys: Vec<_> = ks
                    .prefix(store.as_bytes())
                    .take(STORE_BATCH)
                    .map(|kv| kv.key().map_err(err))
                    .collect::<Result<_, _>>()?;
                if keys.is_empty() {
                    break;
                }
                let mut b = self.batch();
                for k in keys {
                    b.remove(ks, k);
                }
                b.commit().map_err(err)?;
            }
        }
        Ok(removed)
    }

    fn remove_seqs(&self, seqs: &[u64]) -> Result<u64, StoreError> {
        if seqs.is_empty() {
            return Ok(0);
        }
        let mut b = self.batch();
        let mut removed = 0;
        let mut index = Removals::default();
        for seq in seqs {
            removed += u64::from(self.remove_entry(&mut b, &mut index, *seq, |_| false)?);
        }
        index.write(&self.statement_keys, &mut b)?;
        self.count_rewrite(&mut b)?;
        b.commit().map_err(err)?;
        Ok(removed)
    }

    /// Rewrites the journal and every table so removed entries leave the disk (module doc).
    pub(crate) fn compact_all(&self) -> Result<(), StoreError> {
        self.db.persist(PersistMode::SyncAll).map_err(err)?;
        let pad = self
            .db
            .keyspace("purge_pad", KeyspaceCreateOptions::default)
            .map_err(err)?;
        // Noise, so a compressed journal grows as much as an uncompressed one.
        let mut noise = vec![0u8; PAD_CHUNK_BYTES];
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for b in noise.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b.copy_from_slice(&x.to_le_bytes()[..b.len()]);
        }
        // Any journal started after the removal was committed means the one holding the
        // removed entries is sealed (fjall numbers its journals upwards).
        let journal = newest_journal(&self.dir)?;
        let mut written = 0u64;
        let mut i = 0u32;
        while newest_journal(&self.dir)? <= journal {
            if i > 4 * (JOURNAL_SEAL_BYTES / PAD_CHUNK_BYTES as u64) as u32 {
                return Err(err("the journal did not rotate after padding"));
            }
            pad.insert(i.to_be_bytes(), noise.as_slice()).map_err(err)?;
            i += 1;
            written += PAD_CHUNK_BYTES as u64;
            if written > JOURNAL_SEAL_BYTES {
                self.flushes.flush(&self.db, &pad)?;
            }
        }
        let mut b = self.batch();
        for k in 0..i {
            b.remove(&pad, k.to_be_bytes());
        }
        b.commit().map_err(err)?;
        let all: Vec<&fjall::Keyspace> = self
            .keyspaces()
            .into_iter()
            .map(|(_, k)| k)
            .chain([&pad])
            .collect();
        for ks in &all {
            self.flushes.flush(&self.db, ks)?;
        }
        for ks in &all {
            self.major_compact(ks)?;
        }
        Ok(())
    }

    /// A major compaction of `ks` that is known to have run, and after which no table file
    /// older than it is left. (fjall skips a major compaction while a background compaction
    /// holds one of the tables, and deletes a replaced table file only once no version of the
    /// tree refers to it: versions are collected when a memtable is rotated.)
    fn major_compact(&self, ks: &fjall::Keyspace) -> Result<(), StoreError> {
        let dir = ks.path().join("tables");
        for _ in 0..COMPACT_TRIES {
            let waiting = std::time::Instant::now();
            while self.db.active_compactions() > 0 {
                if waiting.elapsed() > BACKGROUND_COMPACTION_WAIT {
                    return Err(err(format!(
                        "{} background compactions of the data directory were still running \
                         after {} s; the purge is finished at its next try",
                        self.db.active_compactions(),
                        BACKGROUND_COMPACTION_WAIT.as_secs()
                    )));
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            let before = table_ids(&dir)?;
            let Some(&newest) = before.iter().max() else {
                return Ok(());
            };
            ks.major_compact().map_err(err)?;
            for _ in 0..COMPACT_TRIES {
                if table_ids(&dir)?.iter().all(|id| *id > newest) {
                    return Ok(());
                }
                self.collect_versions()?;
            }
        }
        Err(err(format!(
            "old table files of {} were still there after {COMPACT_TRIES} major compactions",
            dir.display()
        )))
    }

    /// Rotates a memtable (of a scratch key), which makes fjall drop the versions of every
    /// keyspace that no reader holds, deleting the table files only they referred to.
    fn collect_versions(&self) -> Result<(), StoreError> {
        let pad = self
            .db
            .keyspace("purge_pad", KeyspaceCreateOptions::default)
            .map_err(err)?;
        pad.insert("tick", "").map_err(err)?;
        pad.remove("tick").map_err(err)?;
        self.flushes.flush(&self.db, &pad)?;
        std::thread::sleep(std::time::Duration::from_millis(10));
        Ok(())
    }

    /// Rewrites the `meta` keyspace's tables (after the pending plan was removed from it; the
    /// journal that held the plan was sealed by the purge's full compaction).
    pub(crate) fn rewrite_meta(&self) -> Result<(), StoreError> {
        self.db.persist(PersistMode::SyncAll).map_err(err)?;
        self.flushes.flush(&self.db, &self.meta)?;
        self.major_compact(&self.meta)
    }
}

/// The number of the newest journal file (`<n>.jnl`) of the data directory.
fn newest_journal(dir: &std::path::Path) -> Result<u64, StoreError> {
    let mut newest = 0;
    for e in std::fs::read_dir(dir).map_err(err)? {
        let name = e.map_err(err)?.file_name();
        if let Some(n) = name
            .to_str()
            .and_then(|n| n.strip_suffix(".jnl"))
            .and_then(|n| n.parse().ok())
        {
            newest = newest.max(n);
        }
    }
    Ok(newest)
}

/// The ids of a keyspace's table files (their names).
fn table_ids(dir: &std::path::Path) -> Result<Vec<u64>, StoreError> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(err(e)),
    };
    for e in entries {
        let name = e.map_err(err)?.file_name();
        if let Some(id) = name.to_str().and_then(|n| n.parse().ok()) {
            out.push(id);
        }
    }
    Ok(out)
}
