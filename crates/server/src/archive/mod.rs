//! Archives of whole months of a store's statements (docs/operations.md, "Retention and
//! archives"): `cairn archive month|restore|list`, run by the server (through the control
//! socket, as `cairn backup`) because only it may open the embedded store.
//!
//! Archiving a month writes its files first ([`files`]), then removes the statements with the
//! purge primitive (`PurgeReason::Retention`): a crash before the purge has begun leaves the
//! statements in the log and the next run writes the same archive again; a crash after it has
//! begun is finished at start-up like every purge. Restoring sends the archived statements
//! back through the writer with their ids and `stored` (a statement already there with the
//! same content is skipped, one with other content is a conflict); the writer records the
//! restored log positions for the timeline with them ([`cairn_core::timeline::restored`]).
//! Stores with a retention have their old months archived by the job in [`retention`].
pub mod cli;
pub mod control;
pub mod files;
pub mod retention;

use anyhow::{Context, bail};
use cairn_core::archive::{Manifest, Month};
use cairn_core::ports::LogStore;
use cairn_core::purge::run::Purger;
use cairn_core::timeline::Timeline;
use cairn_core::writer::{AppendRequest, WriterHandle};
use cairn_core::{Error, StoreId};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::{Mutex, mpsc};

/// Statements sent to the writer per restore request.
const RESTORE_BATCH: usize = 500;

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Restore {
    pub store: StoreId,
    pub month: Month,
    /// Statements in the archive.
    pub statements: u64,
    /// Log positions the restore appended (0 when every statement was already there).
    pub appended: u64,
}

/// Archives and restores months, one operation at a time.
#[derive(Clone)]
pub struct Archives {
    log: Arc<dyn LogStore>,
    purger: Arc<Purger>,
    writer: WriterHandle,
    timeline: Arc<Timeline>,
    max_statements: u64,
    /// `archive_dir`, used when a command names no directory.
    dir: Option<PathBuf>,
    busy: Arc<Mutex<()>>,
}

impl Archives {
    pub fn new(
        log: Arc<dyn LogStore>,
        purger: Arc<Purger>,
        writer: WriterHandle,
        timeline: Arc<Timeline>,
        max_statements: u64,
        dir: Option<PathBuf>,
    ) -> Self {
        Archives {
            log,
            purger,
            writer,
            timeline,
            max_statements,
            dir,
            busy: Arc::default(),
        }
    }

    /// `dir`, else `archive_dir`; refused when neither is set or `dir` is not absolute.
    pub fn dir(&self, dir: Option<PathBuf>) -> anyhow::Result<PathBuf> {
        match dir.or_else(|| self.dir.clone()) {
            Some(d) if d.is_absolute() => Ok(d),
            Some(d) => bail!("{} is not an absolute path", d.display()),
            None => bail!("no archive directory: set archive_dir, or pass --dir"),
        }
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn LogStore) -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let log = self.log.clone();
        tokio::task::spawn_blocking(move || f(&*log)).await?
    }

    /// Archives `month` of `store` into `dir`, then removes its statements (see the module
    /// doc). Sends `(done, total)` statements as it goes.
    pub async fn archive(
        &self,
        dir: PathBuf,
        store: StoreId,
        month: Month,
        progress: mpsc::UnboundedSender<(u64, u64)>,
    ) -> anyhow::Result<Manifest> {
        let _one = self.busy.lock().await;
        // Cluster mode: the plan covers every statement acknowledged anywhere before it.
        self.purger.catch_up().await?;
        let max = self.max_statements;
        let plan = self
            .blocking(move |log| Ok(cairn_core::archive::plan(log, store, month, max)?))
            .await?;
        if plan.statements == 0 {
            let d = dir.clone();
            let existing =
                tokio::task::spawn_blocking(move || files::manifest(&d, store, month)).await??;
            // Never overwrite an archive with an empty month (it was archived before).
            return existing.with_context(|| {
                format!("store {store} has no statements stored in {month} to archive")
            });
        }
        let total = plan.statements;
        let seqs = plan.seqs.clone();
        let manifest = self
            .blocking(move |log| {
                let mut records = Vec::with_capacity(seqs.len());
                for chunk in seqs.chunks(10_000) {
                    records.extend(log.statements_at(chunk)?.into_iter().flatten());
                    let _ = progress.send((records.len() as u64, total));
                }
                let mut shas: Vec<&String> =
                    records.iter().flat_map(|r| r.attachments.iter()).collect();
                shas.sort();
                shas.dedup();
                let mut bodies = Vec::new();
                for sha in shas {
                    if let Some(b) = log.attachment(store, sha)? {
                        bodies.push((sha.clone(), b.to_vec()));
                    }
                }
                files::write(&dir, store, month, &records, &bodies)
            })
            .await?;
        if manifest.count != total {
            bail!("the log changed while {month} of store {store} was archived; run it again");
        }
        self.purger.run(plan).await?;
        tracing::info!(%store, %month, statements = total, "month archived and removed");
        Ok(manifest)
    }

    /// Brings `month` of `store` back from `dir` (see the module doc).
    pub async fn restore(
        &self,
        dir: PathBuf,
        store: StoreId,
        month: Month,
        progress: mpsc::UnboundedSender<(u64, u64)>,
    ) -> anyhow::Result<Restore> {
        let _one = self.busy.lock().await;
        let archived =
            tokio::task::spawn_blocking(move || files::read(&dir, store, month)).await??;
        let statements = archived
            .statements
            .iter()
            .map(|l| cairn_core::archive::restore::new_statement(l))
            .collect::<Result<Vec<_>, Error>>()?;
        let total = statements.len() as u64;
        // The writer records the restored positions (for the timeline) with each batch.
        let first = self.writer.last_seq() + 1;
        let mut done = 0;
        let mut statements = statements.into_iter().peekable();
        while statements.peek().is_some() {
            let batch: Vec<_> = statements.by_ref().take(RESTORE_BATCH).collect();
            let n = batch.len() as u64;
            let attachments = archived
                .attachments
                .iter()
                .filter(|(sha, _)| batch.iter().any(|s| s.attachments.contains(sha)))
                .map(|(sha, b)| (sha.clone(), bytes::Bytes::from(b.clone())))
                .collect();
            let req = AppendRequest {
                store,
                statements: batch,
                attachments,
                own_only: None,
            };
            self.writer.append(req).await.map_err(|e| match e {
                Error::Conflict(why) => anyhow::anyhow!(
                    "the archive of {month} conflicts with the store's statements: {why}"
                ),
                e => anyhow::Error::from(e),
            })?;
            done += n;
            let _ = progress.send((done, total));
        }
        let last = self.writer.last_seq();
        tracing::info!(%store, %month, statements = total, "month restored");
        Ok(Restore {
            store,
            month,
            statements: total,
            appended: last.saturating_sub(first - 1),
        })
    }
}

/// The archives in `dir`.
pub async fn list(dir: PathBuf) -> anyhow::Result<Vec<Manifest>> {
    tokio::task::spawn_blocking(move || files::list(&dir)).await?
}
