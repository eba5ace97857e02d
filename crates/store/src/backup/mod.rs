//! Online backups of the embedded store, and restores.
//!
//! A backup directory holds numbered generations, `generation-000001`, `generation-000002`, …
//! Each generation is a directory with one zstd-compressed file per keyspace (`log.zst`,
//! `documents.zst`, …) and a `manifest.json` naming every file with its SHA-256, its entry
//! count and the log position the generation is consistent to. A file is a sequence of
//! entries, each a little-endian `u32` key length, the key, a `u32` value length, the value.
//!
//! The first generation is full: every entry of every keyspace, read from one snapshot of the
//! store (so it is consistent to one log position while the server keeps writing). A later
//! generation is incremental: only the log entries after the previous generation's position,
//! the index entries pointing at them and the attachments of their statements, plus the whole
//! current state of the small keyspaces (documents, tenancy, personas, dashboards, forwarders,
//! metadata). It is full again when the log was rewritten since (erasure or retention removed
//! entries), when the previous generation is not of this store, or when the chain since the
//! last full generation has reached its configured length.
//!
//! A generation is written under `generation-N.partial` and renamed once complete and synced:
//! an interrupted backup leaves only a partial directory, which the next backup removes before
//! starting again.
mod restore;
mod write;

pub use restore::restore;
pub use write::{BackupOptions, KeyspaceFile};

use crate::err;
use cairn_core::ports::StoreError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The format of `manifest.json`.
pub const MANIFEST_FORMAT: u32 = 1;
/// The manifest's file name in a generation directory.
pub const MANIFEST: &str = "manifest.json";
const PREFIX: &str = "generation-";
const PARTIAL: &str = ".partial";
const DELETING: &str = ".deleting";

/// Keyspaces that an incremental generation holds a delta of (the log and what grows with it).
/// Every other keyspace is written whole in every generation.
pub const APPENDED: [&str; 4] = ["log", "statement_ids", "voided", "attachments"];

/// What a generation holds and how to check it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub generation: u64,
    /// A full generation restores alone; an incremental one needs the generations before it
    /// back to the last full one.
    pub full: bool,
    /// The log entries after this position are in this generation (0 for a full one).
    pub after_seq: u64,
    /// The log position the generation is consistent to (the last entry it holds).
    pub seq: u64,
    /// SHA-256 (hex) of the log entry at `seq`: tells whether a later backup is of the same log.
    pub last_entry_sha256: Option<String>,
    /// The store's log-rewrite counter when the generation was taken (hex of its bytes).
    pub log_rewrites: Option<String>,
    /// When the generation was taken (microseconds since the epoch).
    pub created_us: i64,
    pub files: Vec<KeyspaceFile>,
}

/// Why a generation is full rather than incremental.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FullReason {
    /// No earlier generation in the directory.
    First,
    /// Log entries were removed (erasure, retention) since the previous generation.
    LogRewritten,
    /// The previous generation is not of this log (another data directory, or a restored one
    /// that has moved on differently).
    OtherLog,
    /// The chain since the last full generation has reached `full_every` generations.
    ChainComplete,
}

/// What the next generation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Full(FullReason),
    /// The log entries after `after_seq`.
    Incremental {
        after_seq: u64,
    },
}

/// The store as a backup finds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Now {
    /// Its last log position.
    pub seq: u64,
    /// Its log-rewrite counter (hex).
    pub log_rewrites: Option<String>,
    /// SHA-256 (hex) of its log entry at the previous generation's position, if it has one.
    pub entry_at_previous: Option<String>,
}

/// Decides whether the next generation is full or incremental. `chain` is the number of
/// generations since (and including) the last full one.
pub fn decide(previous: Option<&Manifest>, chain: u64, now: &Now, full_every: u64) -> Kind {
    let Some(prev) = previous else {
        return Kind::Full(FullReason::First);
    };
    if prev.log_rewrites != now.log_rewrites {
        return Kind::Full(FullReason::LogRewritten);
    }
    if prev.seq > now.seq || prev.last_entry_sha256 != now.entry_at_previous {
        return Kind::Full(FullReason::OtherLog);
    }
    if chain >= full_every.max(1) {
        return Kind::Full(FullReason::ChainComplete);
    }
    Kind::Incremental {
        after_seq: prev.seq,
    }
}

/// The generations to delete so that the newest `keep` remain restorable: the oldest kept one
/// needs every generation back to its full one, so only the generations before that full one go.
pub fn prune(generations: &[(u64, bool)], keep: usize) -> Vec<u64> {
    let keep = keep.max(1);
    if generations.len() <= keep {
        return Vec::new();
    }
    let oldest_kept = generations.len() - keep;
    let Some(base) = generations[..=oldest_kept]
        .iter()
        .rposition(|(_, full)| *full)
    else {
        return Vec::new();
    };
    generations[..base].iter().map(|(g, _)| *g).collect()
}

/// The directory of generation `n`.
pub fn generation_dir(dir: &Path, n: u64) -> PathBuf {
    dir.join(format!("{PREFIX}{n:06}"))
}

/// The complete generations in `dir`, oldest first (partial ones are not listed).
pub fn generations(dir: &Path) -> Result<Vec<Manifest>, StoreError> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(err(format!("cannot read {}: {e}", dir.display()))),
    };
    for entry in entries {
        let entry = entry.map_err(err)?;
        let name = entry.file_name();
        let Some(n) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PREFIX))
            .and_then(|n| n.parse::<u64>().ok())
        else {
            continue;
        };
        let path = entry.path().join(MANIFEST);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            // Not a complete generation (it is being deleted, or was never finished).
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(err(format!("cannot read {}: {e}", path.display()))),
        };
        let m: Manifest = serde_json::from_slice(&bytes)
            .map_err(|e| err(format!("{} is not a backup manifest: {e}", path.display())))?;
        if m.format != MANIFEST_FORMAT {
            return Err(err(format!(
                "{} has manifest format {} (this Cairn reads {MANIFEST_FORMAT})",
                path.display(),
                m.format
            )));
        }
        if m.generation != n {
            return Err(err(format!(
                "{} says generation {}, its directory {n}",
                path.display(),
                m.generation
            )));
        }
        out.push(m);
    }
    out.sort_by_key(|m| m.generation);
    Ok(out)
}

/// Deletes the generations [`prune`] gives up, keeping the newest `keep` restorable; answers
/// the deleted generation numbers.
pub fn prune_dir(dir: &Path, keep: usize) -> Result<Vec<u64>, StoreError> {
    let gens: Vec<(u64, bool)> = generations(dir)?
        .iter()
        .map(|m| (m.generation, m.full))
        .collect();
    let gone = prune(&gens, keep);
    for g in &gone {
        // Renamed first, so that no one lists a generation whose files are half deleted.
        let path = generation_dir(dir, *g);
        let doomed = path.with_extension(&DELETING[1..]);
        std::fs::rename(&path, &doomed)
            .and_then(|_| std::fs::remove_dir_all(&doomed))
            .map_err(|e| err(format!("cannot delete {}: {e}", path.display())))?;
    }
    Ok(gone)
}

#[cfg(test)]
mod tests;
