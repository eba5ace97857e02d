//! The retention job: at start-up and then every `retention_interval_minutes`, each store with
//! a retention (`retention_months`) has every whole month (UTC, by `stored`) older than it
//! archived into `archive_dir` and removed, month by month, with the same code as
//! `cairn archive month` ([`Archives::archive`]). Finding the months due reads only the part
//! of the log stored before them ([`cairn_core::archive::months_held`]), not the whole log.
//!
//! A run interrupted by a crash is finished by the next one (at the next start): a month whose
//! files were written but whose statements were not yet removed is written again and removed;
//! a removal that had begun is finished at start-up like every purge, and its archive is then
//! complete.
//!
//! In cluster mode exactly one node decides each run: the node holding the forwarding lease
//! ([`Decider`]; docs/ARCHITECTURE.md, "Retention in a cluster", says why that lease). It
//! applies what the other nodes appended first ([`Purger::catch_up`]), writes the archives into
//! its own `archive_dir`, and removes each month through the replicated log like an erasure:
//! every node removes the same statements from its own store and ClickHouse database, and the
//! log is rewritten without them. The restored ranges travel with the restored statements, so
//! the deciding node finds the months due as a single node does, whoever restored them. A
//! node that takes the lease over runs the job at once: it first finishes a removal its
//! predecessor had begun (every node does, from the plan in the log; that month's archive is
//! complete in the predecessor's `archive_dir`), then archives what is still due, into its own
//! `archive_dir` (a month whose files the predecessor wrote but had not begun to remove is
//! archived again, and removed).
use super::Archives;
use anyhow::Context;
use cairn_core::StoreId;
use cairn_core::archive::{Manifest, Month};
use cairn_core::projection_lease::keeper::{Keeper, Role};
use cairn_core::purge::run::Purger;
use cairn_core::tenancy::TenancyService;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// The stores with a retention, with the months they keep.
fn retained(tenancy: &TenancyService) -> Vec<(StoreId, u32)> {
    let snap = tenancy.snapshot();
    snap.state
        .stores
        .values()
        .filter_map(|s| s.retention_months.map(|n| (s.id, n)))
        .collect()
}

/// Which node runs the job: every node alone, or in cluster mode only the holder of the
/// forwarding lease.
#[derive(Clone, Default)]
pub struct Decider {
    lease: Option<Arc<Keeper>>,
}

impl Decider {
    /// Cluster mode: only the holder of `lease` (the forwarding lease's keeper) decides.
    pub fn lease(lease: Arc<Keeper>) -> Self {
        Decider { lease: Some(lease) }
    }

    /// Whether this node may decide a run (or archive one more month of it) now.
    pub fn deciding(&self) -> bool {
        self.lease.as_ref().is_none_or(|k| k.holding())
    }

    /// Waits until this node takes the lease (again); never, on a single node.
    async fn taken(&self) {
        let Some(k) = &self.lease else {
            return std::future::pending().await;
        };
        let mut role = k.role();
        loop {
            if role.changed().await.is_err() {
                return std::future::pending().await;
            }
            if matches!(*role.borrow_and_update(), Role::Holder { .. }) {
                return;
            }
        }
    }
}

/// One run at `now_us`: archives every month due under `stores`' retentions, oldest first.
/// Refused as a whole without an archive directory; a month that cannot be archived is
/// logged and the others still are. Answers the archives written. In cluster mode, the node
/// stops between two months once it no longer holds the lease (`decider`).
pub async fn run_once(
    archives: &Archives,
    stores: Vec<(StoreId, u32)>,
    now_us: i64,
    decider: &Decider,
) -> anyhow::Result<Vec<Manifest>> {
    if stores.is_empty() || !decider.deciding() {
        return Ok(Vec::new());
    }
    let dir = archives.dir(None).with_context(|| {
        format!(
            "{} store(s) have a retention but there is nowhere to archive their old months: \
             set archive_dir (nothing was archived or removed)",
            stores.len()
        )
    })?;
    let last: HashMap<StoreId, Month> = stores
        .iter()
        .map(|&(s, keep)| (s, cairn_core::archive::last_due(now_us, keep)))
        .collect();
    // The log is read up to the newest due month's end, and the restored ranges. In cluster
    // mode: all of it, once what the other nodes appended is applied and a removal begun by
    // a previous holder of the lease is finished here (so its month is not archived again).
    if archives.purger.is_clustered() {
        archives.purger.catch_up().await?;
        archives.purger.resume().await?;
    }
    // Every node knows every restored range: they travel with the statements.
    let restored = archives.timeline.restored();
    let due = archives
        .blocking(move |log| Ok(cairn_core::archive::months_held(log, &restored, &last)?))
        .await?;
    if !due.is_empty() {
        tracing::info!(
            months = due.len(),
            "retention: archiving months past retention"
        );
    }
    let mut written = Vec::new();
    for (store, month) in due {
        if !decider.deciding() {
            tracing::warn!(
                "retention: this node no longer holds the lease; the next holder goes on"
            );
            break;
        }
        let (tx, _rx) = mpsc::unbounded_channel();
        match archives.archive(dir.clone(), store, month, tx).await {
            Ok(m) => written.push(m),
            Err(e) => tracing::error!(
                %store, %month, error = %format!("{e:#}"),
                "retention: the month could not be archived (it is kept; the next run tries again)"
            ),
        }
    }
    Ok(written)
}

/// Runs the job at start-up, then every `every` and (cluster mode) whenever this node takes the
/// lease, until shutdown (a month being archived at shutdown is finished by the next start,
/// see the module doc).
pub async fn schedule(
    archives: Archives,
    tenancy: TenancyService,
    every: Duration,
    decider: Decider,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let stores = retained(&tenancy);
        let run = run_once(&archives, stores, cairn_core::time_fmt::now_us(), &decider);
        tokio::select! {
            _ = shutdown.wait_for(|s| *s) => return,
            r = run => if let Err(e) = r {
                tracing::error!(error = %format!("{e:#}"), "retention: run refused");
            },
        }
        tokio::select! {
            _ = shutdown.wait_for(|s| *s) => return,
            _ = tokio::time::sleep(every) => {}
            _ = decider.taken() => {}
        }
    }
}

/// Finishes a purge a crash interrupted ([`Purger::resume`]), then runs [`schedule`].
pub fn spawn(
    archives: Archives,
    tenancy: TenancyService,
    purger: Arc<Purger>,
    every: Duration,
    decider: Decider,
    mut shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        tokio::select! {
            _ = shutdown.wait_for(|s| *s) => return,
            r = purger.resume() => if let Err(e) = r {
                tracing::error!(
                    error = %e,
                    "an interrupted purge could not be finished; it is tried again at the next start"
                );
            },
        }
        schedule(archives, tenancy, every, decider, shutdown).await
    })
}
