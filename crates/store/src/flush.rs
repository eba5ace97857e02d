//! Flushing one keyspace's memtable to table files, with a bounded wait.
//!
//! fjall's `Keyspace::rotate_memtable_and_wait` seals the active memtable, queues a flush for
//! the background worker and then sleeps until the keyspace has no sealed memtable left, for
//! as long as that takes. It was seen (in the store-deletion test, under load) waiting for ever:
//! the worker idle, its queue empty, and a sealed memtable that no flush took. A purge then
//! never finished and the node's purge thread was lost.
//!
//! [`rotate_and_wait`] waits at most [`FlushBound::wait`] per try. When the sealed memtable is
//! still there, it seals the active memtable again (after writing a tombstone of [`KICK_KEY`]
//! so there is something to seal): the flush queued for that takes every sealed memtable of the
//! keyspace, the stuck one included. After [`FlushBound::tries`] tries it returns an error.
//!
//! A flush that never comes, even when asked again, means fjall has no flush worker left (the
//! crash above ends the worker thread, and fjall does not start another). Nothing would be
//! flushed again, so [`Flushes`] then refuses every later commit: the node's writer reports the
//! store failed and the node exits for its supervisor to restart it. A restart starts fjall's
//! workers again and finishes the pending purge.
use crate::err;
use cairn_core::StoreError;
use fjall::{Database, Keyspace};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A key that no keyspace uses (every key of the store is an id, a position or a name, none
/// starting with 0xFF followed by this text). Removing it writes a tombstone that no read
/// ever returns.
pub(crate) const KICK_KEY: &[u8] = b"\xffcairn.flush-kick";

/// How long a flush may take, and how often it is asked for again.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FlushBound {
    /// The longest wait for the sealed memtables to be flushed, per try.
    pub wait: Duration,
    /// Tries before giving up.
    pub tries: u32,
}

impl FlushBound {
    /// A purge's: two minutes in all.
    pub(crate) const PURGE: FlushBound = FlushBound {
        wait: Duration::from_secs(20),
        tries: 6,
    };
}

/// The store's flushes: their bound, and the failure that ends its commits.
pub(crate) struct Flushes {
    bound: FlushBound,
    lost: OnceLock<String>,
}

impl Default for Flushes {
    fn default() -> Self {
        Flushes::with(FlushBound::PURGE)
    }
}

impl Flushes {
    pub(crate) fn with(bound: FlushBound) -> Self {
        Flushes {
            bound,
            lost: OnceLock::new(),
        }
    }

    /// [`rotate_and_wait`]. When the flush never comes while no background compaction runs
    /// (a compaction would show a flush thread alive, only busy: the purge then fails and is
    /// tried again), every later [`Self::check`] fails.
    pub(crate) fn flush(&self, db: &Database, ks: &Keyspace) -> Result<(), StoreError> {
        rotate_and_wait(ks, self.bound).inspect_err(|e| {
            if db.active_compactions() == 0 {
                tracing::error!(error = %e, "the embedded store no longer flushes; it refuses writes until the node restarts");
                let _ = self.lost.set(e.0.clone());
            }
        })
    }

    /// Fails once a flush never came.
    pub(crate) fn check(&self) -> Result<(), StoreError> {
        match self.lost.get() {
            None => Ok(()),
            Some(e) => Err(err(format!(
                "the embedded store stopped flushing ({e}); restart the node"
            ))),
        }
    }
}

/// Seals `ks`'s active memtable and waits until the keyspace has no sealed memtable left (its
/// data is then in table files), asking again when a flush does not come (module doc).
pub(crate) fn rotate_and_wait(ks: &Keyspace, bound: FlushBound) -> Result<(), StoreError> {
    for attempt in 0..bound.tries {
        if attempt > 0 {
            tracing::warn!(
                keyspace = %ks.name(),
                sealed = ks.sealed_memtable_count(),
                attempt,
                "a memtable flush did not come; asking for it again"
            );
            ks.remove(KICK_KEY).map_err(err)?;
        }
        // `false`: the active memtable was empty, nothing new to seal.
        let sealed = ks.rotate_memtable().map_err(err)?;
        if !sealed && ks.sealed_memtable_count() == 0 {
            return Ok(());
        }
        let started = Instant::now();
        while ks.sealed_memtable_count() > 0 && started.elapsed() < bound.wait {
            std::thread::sleep(Duration::from_millis(10));
        }
        if ks.sealed_memtable_count() == 0 {
            return Ok(());
        }
    }
    Err(err(format!(
        "the keyspace {} still had {} unflushed memtables after {} tries of {} s",
        ks.name(),
        ks.sealed_memtable_count(),
        bound.tries,
        bound.wait.as_secs_f64()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fjall::KeyspaceCreateOptions;

    const QUICK: FlushBound = FlushBound {
        wait: Duration::from_millis(200),
        tries: 3,
    };

    /// A database with no background worker: nothing ever flushes.
    fn without_flushes(dir: &std::path::Path) -> Database {
        Database::builder(dir)
            .worker_threads_unchecked(0)
            .open()
            .unwrap()
    }

    #[test]
    fn a_flush_puts_the_memtable_into_a_table_file() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::builder(dir.path()).open().unwrap();
        let ks = db.keyspace("k", KeyspaceCreateOptions::default).unwrap();
        ks.insert("a", "1").unwrap();
        assert_eq!(ks.table_count(), 0);
        rotate_and_wait(&ks, QUICK).unwrap();
        assert_eq!(ks.sealed_memtable_count(), 0);
        assert_eq!(ks.table_count(), 1);
        // Nothing new: nothing to seal, and no wait.
        rotate_and_wait(&ks, QUICK).unwrap();
        assert_eq!(ks.table_count(), 1);
        assert_eq!(&*ks.get("a").unwrap().unwrap(), b"1");
    }

    #[test]
    fn a_store_whose_flushes_never_come_refuses_commits() {
        use cairn_core::LogStore;
        let dir = tempfile::tempdir().unwrap();
        let db = without_flushes(dir.path());
        let store = crate::FjallStore::on(db, dir.path(), Flushes::with(QUICK)).unwrap();
        let ws = cairn_core::WriteSet {
            events: vec![(1, crate::tests::record(uuid::Uuid::new_v4()))],
            ..Default::default()
        };
        store.commit(&ws).unwrap();
        let e = store.compact_meta().unwrap_err().to_string();
        assert!(e.contains("unflushed memtables"), "{e}");
        let e = store.commit(&ws).unwrap_err().to_string();
        assert!(
            e.contains("stopped flushing") && e.contains("restart the node"),
            "{e}"
        );
    }

    #[test]
    fn a_flush_that_never_comes_ends_in_an_error_not_a_hang() {
        let dir = tempfile::tempdir().unwrap();
        let db = without_flushes(dir.path());
        let ks = db.keyspace("k", KeyspaceCreateOptions::default).unwrap();
        ks.insert("a", "1").unwrap();
        let started = Instant::now();
        let e = rotate_and_wait(&ks, QUICK).unwrap_err().to_string();
        assert!(e.contains("unflushed memtables after 3 tries"), "{e}");
        assert!(started.elapsed() < Duration::from_secs(10));
        // The kick key's tombstones are never seen by a read.
        assert_eq!(ks.iter().count(), 1);
        assert!(ks.get(KICK_KEY).unwrap().is_none());
    }
}
