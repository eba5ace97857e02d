//! `cairn cluster-seed`: moves a single-node installation into a cluster. The single node's data
//! directory (stopped) is read from one snapshot and appended, as write sets, to the cluster's
//! JetStream log while that log is still empty; the cluster's nodes then start with empty data
//! directories and apply it like any other node's writes (docs/operations.md, "Moving a single
//! node into a cluster").
use crate::config::{Config, LogBackend};
use crate::progress::Progress;
use anyhow::{Context, bail};
use cairn_core::ports::{LogStore, StoreError};
use cairn_core::replicated::{AppendError, ReplicatedLog, encode_group};
use cairn_store::FjallStore;
use cairn_store::export::ExportSummary;
use std::path::Path;
use std::sync::Arc;

/// The default size of one message of the seeded log, in KiB: well under JetStream's default
/// largest message (1 MiB).
pub const MESSAGE_KIB_DEFAULT: usize = 512;

/// Appends the store in `from` (a single node's data directory) to the cluster's empty log.
pub async fn seed(cfg: &Config, from: &Path, message_kib: usize) -> anyhow::Result<ExportSummary> {
    if cfg.log_backend != LogBackend::Jetstream {
        bail!(
            "cluster-seed writes into a cluster's log: run it with the cluster's configuration \
             (log_backend = \"jetstream\", nats_urls, jetstream_stream)"
        );
    }
    if message_kib == 0 {
        bail!("--message-kib must be at least 1");
    }
    // A half-restored data directory is no installation to move.
    crate::backup::check_not_restoring(from)?;
    let dir = from.join("store");
    if !dir.is_dir() {
        bail!(
            "{} holds no Cairn store (no {}): name the single node's data directory",
            from.display(),
            dir.display()
        );
    }
    let store =
        FjallStore::open_with_journal(&dir, cfg.store_cache_mib << 20, cfg.store_journal_mib << 20)
            .with_context(|| {
                format!(
                    "cannot open the store in {} (stop the node that uses it first)",
                    from.display()
                )
            })?;
    let log = Arc::new(
        cairn_nats::JetStreamLog::connect(&cfg.jetstream())
            .await
            .map_err(anyhow::Error::msg)?,
    );
    let total = store.last_seq()?;
    tokio::task::spawn_blocking(move || {
        // The log must hold nothing but its opening marker (position 1): a cluster that has
        // taken writes already cannot take another installation's history under them.
        let after_marker = log.read_after(1, 1)?;
        if let Some((at, _)) = after_marker.first() {
            bail!(
                "the stream already holds writes (message {at} and maybe more): seed only a new \
                 cluster's empty stream, before any node has started"
            );
        }
        let mut progress = Progress::new("seeding the cluster's log", "log entries", total);
        let mut expected = 1;
        let mut sink = |ws: cairn_core::ports::WriteSet| -> Result<(), StoreError> {
            let done = ws.events.last().map(|(s, _)| *s);
            expected = match log.append(expected, encode_group(&ws)) {
                Ok(at) => at,
                Err(AppendError::Behind) => {
                    return Err(StoreError(
                        "another process wrote to the stream during the seeding: stop every \
                         node of the cluster, delete the stream and seed again"
                            .into(),
                    ));
                }
                Err(AppendError::Unavailable(e)) => return Err(StoreError(e)),
            };
            if let Some(done) = done {
                progress.set(done, total);
            }
            Ok(())
        };
        let summary = store.export_write_sets(message_kib << 10, &mut sink)?;
        progress.set(total, total);
        progress.finish();
        Ok(summary)
    })
    .await?
}
