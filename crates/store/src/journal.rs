//! The bound on fjall's write-ahead journal. fjall writes every batch to a journal file first,
//! seals that file once it passes 64 MB at a memtable flush, and deletes sealed files once every
//! keyspace has flushed what they hold. Past `max_journaling_size` of journal on disk it flushes
//! the keyspaces holding the oldest sealed file early, so the bound caps the journal's share of
//! the data directory (fjall's default, 512 MiB, dominated the bytes per statement of a short
//! ingest; see docs/performance.md). A smaller bound means earlier, smaller memtable flushes.
use crate::err;
use cairn_core::StoreError;

/// fjall refuses a smaller bound (it seals journals at about this size).
pub const MIN_JOURNAL_BYTES: u64 = 64 << 20;
/// The largest bound accepted (1 TiB): more is surely a mistake, and keeps `MiB << 20` exact.
pub const MAX_JOURNAL_BYTES: u64 = 1 << 40;
/// The bound when none is given: the `store_journal_mib` setting's default.
pub const DEFAULT_JOURNAL_BYTES: u64 = 64 << 20;

/// A clear error for a bound fjall would refuse (it asserts, so it must not reach it) or that
/// is past [`MAX_JOURNAL_BYTES`].
pub(crate) fn check(journal_bytes: u64) -> Result<(), StoreError> {
    if !(MIN_JOURNAL_BYTES..=MAX_JOURNAL_BYTES).contains(&journal_bytes) {
        return Err(err(format!(
            "the write-ahead journal bound must be between {} MiB and {} MiB, not {} bytes",
            MIN_JOURNAL_BYTES >> 20,
            MAX_JOURNAL_BYTES >> 20,
            journal_bytes
        )));
    }
    Ok(())
}

/// Bytes of journal files (`<n>.jnl`) in the data directory; a file deleted while it is being
/// listed counts as empty.
pub fn journal_bytes(dir: &std::path::Path) -> Result<u64, StoreError> {
    let mut total = 0;
    for e in std::fs::read_dir(dir).map_err(err)? {
        let e = e.map_err(err)?;
        if e.file_name().to_str().is_some_and(|n| n.ends_with(".jnl")) {
            // fjall deletes sealed journals in the background: one listed a moment ago may be
            // gone by now, and then it holds nothing.
            match e.metadata() {
                Ok(m) => total += m.len(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(err(e)),
            }
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FjallStore;
    use fjall::KeyspaceCreateOptions;

    #[test]
    fn a_bound_out_of_range_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        for bytes in [32 << 20, MAX_JOURNAL_BYTES + 1] {
            let e = FjallStore::open_with_journal(dir.path(), 8 << 20, bytes)
                .err()
                .expect("refused");
            assert!(
                e.0.contains("journal bound must be between 64 MiB and 1048576 MiB"),
                "{e:?}"
            );
        }
    }

    /// 320 MB of incompressible writes leave no more than the bound plus one journal being
    /// written: fjall's default (512 MiB) would keep all of it.
    #[test]
    fn the_journal_stays_near_its_bound() {
        let dir = tempfile::tempdir().unwrap();
        let s = FjallStore::open_with_journal(dir.path(), 8 << 20, MIN_JOURNAL_BYTES).unwrap();
        let ks =
            s.db.keyspace("scratch", KeyspaceCreateOptions::default)
                .unwrap();
        let mut noise = vec![0u8; 1 << 20];
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut most = 0;
        for i in 0u32..320 {
            for b in noise.chunks_mut(8) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                b.copy_from_slice(&x.to_le_bytes());
            }
            ks.insert(i.to_be_bytes(), noise.as_slice()).unwrap();
            most = most.max(journal_bytes(dir.path()).unwrap());
        }
        let bound = MIN_JOURNAL_BYTES + 2 * 64_000_000 + (8 << 20);
        // fjall flushes in the background: wait for it to catch up with the last writes.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while journal_bytes(dir.path()).unwrap() > bound {
            assert!(std::time::Instant::now() < deadline, "journal never shrank");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert!(
            most < 320 << 20,
            "the journal held everything written: {most} bytes"
        );
    }
}
