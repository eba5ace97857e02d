//! Restoring a generation into an empty store directory.
use super::{APPENDED, KeyspaceFile, Manifest, generation_dir, generations};
use crate::{FjallStore, err};
use cairn_core::ports::{LogStore, StoreError};
use cairn_core::projector::CHECKPOINT_KEY;
use fjall::PersistMode;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

/// How many bytes of entries one restore batch holds.
const BATCH_BYTES: usize = 8 << 20;

/// The generations needed to restore `target`: back to its full one, oldest first.
fn chain(all: &[Manifest], target: u64) -> Result<Vec<&Manifest>, StoreError> {
    let find = |g: u64| all.iter().find(|m| m.generation == g);
    let mut m = find(target).ok_or_else(|| {
        let have: Vec<String> = all.iter().map(|m| m.generation.to_string()).collect();
        err(format!(
            "there is no generation {target} in the backup (it has: {})",
            if have.is_empty() {
                "none".into()
            } else {
                have.join(", ")
            }
        ))
    })?;
    let mut out = vec![m];
    while !m.full {
        let prev = m.generation - 1;
        m = match find(prev) {
            Some(p) if p.seq == m.after_seq => p,
            Some(_) => {
                return Err(err(format!(
                    "generation {} does not follow generation {prev}: the backup directory \
                     mixes backups of different data directories",
                    m.generation
                )));
            }
            None => {
                return Err(err(format!(
                    "generation {} needs generation {prev}, which is missing",
                    m.generation
                )));
            }
        };
        out.push(m);
    }
    out.reverse();
    Ok(out)
}

fn verify(dir: &Path, f: &KeyspaceFile) -> Result<(), StoreError> {
    let path = dir.join(&f.file);
    let mut file =
        File::open(&path).map_err(|e| err(format!("cannot open {}: {e}", path.display())))?;
    let mut hash = Sha256::new();
    std::io::copy(&mut file, &mut hash)
        .map_err(|e| err(format!("cannot read {}: {e}", path.display())))?;
    if hex::encode(hash.finalize()) != f.sha256 {
        return Err(err(format!(
            "{} does not match its checksum in the manifest: the backup is damaged",
            path.display()
        )));
    }
    Ok(())
}

fn read_u32(r: &mut impl Read) -> std::io::Result<Option<u32>> {
    let mut b = [0u8; 4];
    match r.read_exact(&mut b) {
        Ok(()) => Ok(Some(u32::from_le_bytes(b))),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(e),
    }
}

fn read_bytes(r: &mut impl Read, n: u32) -> std::io::Result<Vec<u8>> {
    let mut v = vec![0u8; n as usize];
    r.read_exact(&mut v)?;
    Ok(v)
}

impl FjallStore {
    /// Loads one backup file into its keyspace; answers the entries loaded.
    fn load(&self, dir: &Path, f: &KeyspaceFile) -> Result<u64, StoreError> {
        let Some((_, ks)) = self.keyspaces().into_iter().find(|(n, _)| *n == f.keyspace) else {
            return Err(err(format!(
                "the backup names an unknown keyspace {}",
                f.keyspace
            )));
        };
        let path = dir.join(&f.file);
        let bad = |e: std::io::Error| err(format!("cannot read {}: {e}", path.display()));
        let file = File::open(&path).map_err(bad)?;
        let mut r = zstd::stream::read::Decoder::new(BufReader::new(file)).map_err(bad)?;
        let (mut batch, mut held, mut n) = (self.db.batch(), 0usize, 0u64);
        while let Some(klen) = read_u32(&mut r).map_err(bad)? {
            let key = read_bytes(&mut r, klen).map_err(bad)?;
            let vlen = read_u32(&mut r)
                .map_err(bad)?
                .ok_or_else(|| err(format!("{} ends inside an entry", path.display())))?;
            let value = read_bytes(&mut r, vlen).map_err(bad)?;
            n += 1;
            if f.keyspace == "meta"
                && (key == CHECKPOINT_KEY.as_bytes() || key == crate::keys::BUILT_KEY.as_bytes())
            {
                // The restored log is projected again from the start into the new ClickHouse,
                // and its key index is built from it below.
                continue;
            }
            held += key.len() + value.len();
            batch.insert(ks, key, value);
            if held >= BATCH_BYTES {
                batch.commit().map_err(err)?;
                (batch, held) = (self.db.batch(), 0);
            }
        }
        batch.commit().map_err(err)?;
        if n != f.entries {
            return Err(err(format!(
                "{} holds {n} entries, its manifest says {}",
                path.display(),
                f.entries
            )));
        }
        Ok(n)
    }
}

/// Restores generation `target` (the newest when `None`) of the backup in `backup` into the
/// empty store directory `store_dir`, after checking every file needed against its checksum.
/// `progress(done, total)` counts files. Answers the restored generation's manifest.
/// Blocking.
pub fn restore(
    backup: &Path,
    store_dir: &Path,
    target: Option<u64>,
    cache_bytes: u64,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Manifest, StoreError> {
    let all = generations(backup)?;
    let target = match target {
        Some(t) => t,
        None => {
            all.last()
                .ok_or_else(|| err(format!("{} holds no backup generation", backup.display())))?
                .generation
        }
    };
    let chain = chain(&all, target)?;
    let last = *chain.last().expect("a chain holds its target");
    // What to load: the appended keyspaces of every generation in the chain, and the other
    // keyspaces (current state) of the target only.
    let mut plan = Vec::new();
    for m in &chain {
        let is_target = m.generation == last.generation;
        for f in &m.files {
            if is_target || APPENDED.contains(&f.keyspace.as_str()) {
                plan.push((generation_dir(backup, m.generation), f));
            }
        }
    }
    let total = 2 * plan.len() as u64;
    let mut done = 0;
    progress(done, total);
    for (dir, f) in &plan {
        verify(dir, f)?;
        done += 1;
        progress(done, total);
    }
    let store = FjallStore::open(store_dir, cache_bytes)?;
    for (dir, f) in &plan {
        store.load(dir, f)?;
        done += 1;
        progress(done, total);
    }
    store.mark_unindexed()?;
    store.build_key_index()?;
    store.db.persist(PersistMode::SyncAll).map_err(err)?;
    let seq = store.last_seq()?;
    if seq != last.seq {
        return Err(err(format!(
            "the restored log ends at {seq}, generation {} at {}",
            last.generation, last.seq
        )));
    }
    Ok(last.clone())
}
