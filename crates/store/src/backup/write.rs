//! Taking a generation from one snapshot of the store.
use super::{
    DELETING, FullReason, Kind, MANIFEST, MANIFEST_FORMAT, Manifest, Now, PARTIAL, decide,
    generation_dir, generations,
};
use crate::{FjallStore, attachment_key, err, pair_key, seq_of};
use cairn_core::Event;
use cairn_core::ports::{LOG_REWRITES_KEY, StoreError};
use fjall::{Keyspace, Readable, Snapshot};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// The zstd level of backup files (zstd's default: fast, and several times smaller than JSON).
const ZSTD_LEVEL: i32 = 3;

/// How a backup is taken.
#[derive(Debug, Clone, Copy)]
pub struct BackupOptions {
    /// A generation is full once this many generations (the last full one included) would
    /// otherwise depend on one another.
    pub full_every: u64,
}

/// One keyspace's file in a generation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyspaceFile {
    pub keyspace: String,
    pub file: String,
    pub entries: u64,
    /// Size of the compressed file.
    pub bytes: u64,
    /// SHA-256 (hex) of the compressed file.
    pub sha256: String,
}

/// A writer that hashes and counts what passes through it.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// One keyspace's file being written.
struct Out {
    keyspace: &'static str,
    enc: zstd::stream::write::Encoder<'static, Hashing<BufWriter<File>>>,
    entries: u64,
}

impl Out {
    fn create(dir: &Path, keyspace: &'static str) -> Result<Self, StoreError> {
        let path = dir.join(format!("{keyspace}.zst"));
        let file = File::create(&path)
            .map_err(|e| err(format!("cannot create {}: {e}", path.display())))?;
        let hashing = Hashing {
            inner: BufWriter::new(file),
            hash: Sha256::new(),
            bytes: 0,
        };
        let enc = zstd::stream::write::Encoder::new(hashing, ZSTD_LEVEL).map_err(err)?;
        Ok(Out {
            keyspace,
            enc,
            entries: 0,
        })
    }

    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        let len = |n: usize| u32::try_from(n).map_err(|_| err("entry over 4 GiB"));
        self.enc
            .write_all(&len(key.len())?.to_le_bytes())
            .map_err(err)?;
        self.enc.write_all(key).map_err(err)?;
        self.enc
            .write_all(&len(value.len())?.to_le_bytes())
            .map_err(err)?;
        self.enc.write_all(value).map_err(err)?;
        self.entries += 1;
        Ok(())
    }

    fn finish(self) -> Result<KeyspaceFile, StoreError> {
        let mut hashing = self.enc.finish().map_err(err)?;
        hashing.flush().map_err(err)?;
        let file = hashing.inner.into_inner().map_err(|e| err(e.error()))?;
        file.sync_all().map_err(err)?;
        Ok(KeyspaceFile {
            keyspace: self.keyspace.into(),
            file: format!("{}.zst", self.keyspace),
            entries: self.entries,
            bytes: hashing.bytes,
            sha256: hex::encode(hashing.hash.finalize()),
        })
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn last_seq(snap: &Snapshot, log: &Keyspace) -> Result<u64, StoreError> {
    match snap.last_key_value(log) {
        Some(kv) => seq_of(&kv.key().map_err(err)?),
        None => Ok(0),
    }
}

fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| err(format!("cannot sync {}: {e}", dir.display())))
}

/// Removes the partial generations an interrupted backup left.
fn remove_partial(dir: &Path) -> Result<(), StoreError> {
    for entry in std::fs::read_dir(dir).map_err(err)? {
        let entry = entry.map_err(err)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(PARTIAL) || name.ends_with(DELETING) {
            tracing::info!(path = %entry.path().display(), "removing an unfinished generation");
            match std::fs::remove_dir_all(entry.path()) {
                // Removed meanwhile by the pruning that renamed it.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                r => r.map_err(err)?,
            }
        }
    }
    Ok(())
}

impl FjallStore {
    /// Writes the next generation of a backup into `dir` (created if missing) from one snapshot
    /// of the store, while writes go on. `progress(done, total)` follows the log entries.
    /// Blocking: call off the async runtime.
    pub fn backup(
        &self,
        dir: &Path,
        options: BackupOptions,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Manifest, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| err(format!("cannot create {}: {e}", dir.display())))?;
        let lock_path = dir.join("backup.lock");
        let lock = File::create(&lock_path)
            .map_err(|e| err(format!("cannot create {}: {e}", lock_path.display())))?;
        lock.try_lock().map_err(|_| {
            err(format!(
                "another backup is being written to {}; try again once it has finished",
                dir.display()
            ))
        })?;
        remove_partial(dir)?;
        let existing = generations(dir)?;
        let snap = self.db.snapshot();
        let seq = last_seq(&snap, &self.log)?;
        let previous = existing.last();
        let entry_at = |s: u64| -> Result<Option<String>, StoreError> {
            Ok(snap
                .get(&self.log, s.to_be_bytes())
                .map_err(err)?
                .map(|v| sha256_hex(&v)))
        };
        let now = Now {
            seq,
            log_rewrites: snap
                .get(&self.meta, LOG_REWRITES_KEY)
                .map_err(err)?
                .map(|v| hex::encode(&v)),
            entry_at_previous: match previous {
                Some(p) => entry_at(p.seq)?,
                None => None,
            },
        };
        let chain = existing
            .iter()
            .rev()
            .position(|m| m.full)
            .map_or(0, |i| i + 1) as u64;
        let kind = decide(previous, chain, &now, options.full_every);
        let generation = previous.map_or(1, |p| p.generation + 1);
        if let Kind::Full(reason) = kind
            && reason != FullReason::First
        {
            tracing::info!(generation, ?reason, "taking a full backup generation");
        }
        let after_seq = match kind {
            Kind::Full(_) => 0,
            Kind::Incremental { after_seq } => after_seq,
        };
        let final_dir = generation_dir(dir, generation);
        let partial = final_dir.with_extension(&PARTIAL[1..]);
        std::fs::create_dir_all(&partial).map_err(err)?;
        let total = seq.saturating_sub(after_seq);
        progress(0, total);
        // An incremental generation's index entries and attachments are those of the new log
        // entries: found from the entries themselves, never by scanning whole indexes.
        let delta = match after_seq {
            0 => Delta::default(),
            a => self.delta(&snap, a)?,
        };
        let mut files = Vec::new();
        // The key index is built again from the log by a restore (`keys::build`).
        for (name, ks) in self
            .keyspaces()
            .into_iter()
            .filter(|(n, _)| *n != "statement_keys")
        {
            let mut out = Out::create(&partial, name)?;
            match (name, after_seq) {
                ("log", _) => {
                    for kv in snap.range(&self.log, (after_seq + 1).to_be_bytes()..) {
                        let (k, v) = kv.into_inner().map_err(err)?;
                        out.put(&k, &v)?;
                        if out.entries % 10_000 == 0 {
                            progress(out.entries, total);
                        }
                    }
                    progress(out.entries, total);
                }
                ("statement_ids" | "voided" | "attachments", a) if a > 0 => {
                    let keys = match name {
                        "statement_ids" => &delta.statement_ids,
                        "voided" => &delta.voided,
                        _ => &delta.attachments,
                    };
                    for key in keys {
                        let Some(v) = snap.get(ks, key).map_err(err)? else {
                            continue;
                        };
                        // Index entries point at log positions: the new ones point past the
                        // previous generation (an attachment has no position).
                        if name == "attachments" || seq_of(&v)? > a {
                            out.put(key, &v)?;
                        }
                    }
                }
                _ => {
                    for kv in snap.iter(ks) {
                        let (k, v) = kv.into_inner().map_err(err)?;
                        out.put(&k, &v)?;
                    }
                }
            }
            files.push(out.finish()?);
        }
        let manifest = Manifest {
            format: MANIFEST_FORMAT,
            generation,
            full: after_seq == 0,
            after_seq,
            seq,
            last_entry_sha256: entry_at(seq)?,
            log_rewrites: now.log_rewrites,
            created_us: now_us(),
            files,
        };
        drop(snap);
        let mpath = partial.join(MANIFEST);
        let mut f = File::create(&mpath).map_err(err)?;
        f.write_all(&serde_json::to_vec_pretty(&manifest).map_err(err)?)
            .and_then(|_| f.sync_all())
            .map_err(|e| err(format!("cannot write {}: {e}", mpath.display())))?;
        sync_dir(&partial)?;
        std::fs::rename(&partial, &final_dir).map_err(err)?;
        sync_dir(dir)?;
        drop(lock);
        Ok(manifest)
    }

    /// The keys of the index entries and attachments that the statements logged after
    /// `after` wrote: one pass over the new log entries, each key once.
    fn delta(&self, snap: &Snapshot, after: u64) -> Result<Delta, StoreError> {
        let mut delta = Delta::default();
        let mut voided = std::collections::HashSet::new();
        let mut attachments = std::collections::HashSet::new();
        for kv in snap.range(&self.log, (after + 1).to_be_bytes()..) {
            let (k, v) = kv.into_inner().map_err(err)?;
            let Event::Statement(r) = self.decode(seq_of(&k)?, &v)? else {
                continue;
            };
            delta.statement_ids.push(pair_key(r.store, r.id).to_vec());
            if let Some(target) = r.voids
                && voided.insert(pair_key(r.store, target))
            {
                delta.voided.push(pair_key(r.store, target).to_vec());
            }
            for sha in &r.attachments {
                let key = attachment_key(r.store, sha);
                if attachments.insert(key.clone()) {
                    delta.attachments.push(key);
                }
            }
        }
        Ok(delta)
    }
}

/// The keys an incremental generation reads from the appended indexes and attachments.
#[derive(Default)]
struct Delta {
    statement_ids: Vec<Vec<u8>>,
    voided: Vec<Vec<u8>>,
    attachments: Vec<Vec<u8>>,
}
