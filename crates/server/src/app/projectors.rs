//! A node's projectors: one, or with projection partitions (`projection_partitions` > 1) one
//! per partition, each writing only its stores into the shared database while its lease is held
//! (docs/ARCHITECTURE.md, "Cluster mode"). They share the tail (one part per partition), the
//! projection's status, the progress channel and the purge gate.
use crate::config::Config;
use crate::projection_leases::ProjectionLeases;
use cairn_clickhouse::ClickHouseProjection;
use cairn_core::degraded::ProjectionStatus;
use cairn_core::ports::{LogStore, Projection};
use cairn_core::projector::{Progress, Projector, ProjectorConfig};
use cairn_core::tail::Tail;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, watch};

pub(super) struct Projectors {
    /// At least one; the first loads the tail at start-up.
    pub list: Vec<Projector>,
    pub tail: Arc<Tail>,
    pub status: Arc<ProjectionStatus>,
    pub progress_rx: broadcast::Receiver<Progress>,
    pub gate: Arc<tokio::sync::Mutex<()>>,
    /// The projection of each partition (one: the whole projection), for purges in a shared
    /// database.
    pub scoped: Vec<Arc<dyn Projection>>,
    /// The position after which the log goes into the tail at start-up: the checkpoint (the
    /// lowest partition's when sharing the database, as far as this node's log goes).
    pub start: u64,
}

pub(super) fn build(
    cfg: &Config,
    log: &Arc<dyn LogStore>,
    clickhouse: &Arc<ClickHouseProjection>,
    projection: &Arc<dyn Projection>,
    leases: Option<&ProjectionLeases>,
) -> anyhow::Result<Projectors> {
    // Sharing the database: the tail holds what it lacks (as far as this node's log goes).
    let watermarks = match leases {
        Some(l) => {
            let head = log.last_seq()?;
            l.checkpoints().into_iter().map(|c| c.min(head)).collect()
        }
        None => vec![cairn_core::projector::read_checkpoint(&**log)?],
    };
    let start = watermarks.iter().copied().min().unwrap_or(0);
    let tail = Arc::new(Tail::partitioned(watermarks));
    let config = ProjectorConfig {
        batch_max: cfg.projector_batch_max,
        batch_linger: Duration::from_millis(cfg.projector_linger_ms),
        batch_min: cfg.projector_batch_min,
        recover_tail_max: cfg.projector_recover_tail_max,
        ..ProjectorConfig::default()
    };
    let progress = cairn_core::projector::progress_channel();
    let progress_rx = progress.subscribe();
    let status = Arc::new(ProjectionStatus::default());
    let gate = Arc::new(tokio::sync::Mutex::new(()));
    let unscoped = |projection: Arc<dyn Projection>| {
        Projector::new(log.clone(), projection, tail.clone(), config.clone())
            .with_progress(progress.clone())
            .with_status(status.clone())
            .with_gate(gate.clone())
    };
    let (list, scoped) = match leases {
        None => (vec![unscoped(projection.clone())], vec![projection.clone()]),
        Some(l) if l.partitions() == 1 => (
            vec![unscoped(projection.clone()).with_lease(l.keepers[0].clone())],
            vec![projection.clone()],
        ),
        Some(l) => {
            let of = l.partitions();
            let scoped: Vec<Arc<dyn Projection>> = (0..of)
                .map(|k| {
                    let p: Arc<dyn Projection> = Arc::new(crate::measured::Measured(Arc::new(
                        clickhouse.for_partition(k, of),
                    )));
                    p
                })
                .collect();
            let list = scoped
                .iter()
                .enumerate()
                .map(|(k, p)| {
                    unscoped(p.clone())
                        .with_lease(l.keepers[k].clone())
                        .in_partition(k as u32, of)
                })
                .collect();
            (list, scoped)
        }
    };
    Ok(Projectors {
        list,
        tail,
        status,
        progress_rx,
        gate,
        scoped,
        start,
    })
}

/// Runs every projector until `shutdown`; the handle ends once they all have.
pub(super) fn spawn(
    projectors: Vec<Projector>,
    committed: watch::Receiver<u64>,
    shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let running: Vec<_> = projectors
        .into_iter()
        .map(|p| tokio::spawn(p.run(committed.clone(), shutdown.clone())))
        .collect();
    tokio::spawn(async move {
        for r in running {
            let _ = r.await;
        }
    })
}
