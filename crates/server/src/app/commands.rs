//! The `cairn reproject` and `cairn migrate` commands (the server is stopped meanwhile).
use super::projection;
use crate::config::Config;
use cairn_clickhouse::ClickHouseProjection;
use cairn_core::ports::{LogStore, Projection};
use cairn_core::projector::{Projector, ProjectorConfig};
use cairn_core::tail::Tail;
use std::sync::Arc;

/// Replays the whole log into an emptied projection.
pub async fn reproject(cfg: &Config) -> anyhow::Result<u64> {
    // The shared checkpoint lives in the projection lease, which this command does not hold.
    anyhow::ensure!(
        !cfg.projection_shared,
        "{}",
        crate::cluster::NO_SHARED_REPROJECT
    );
    let store = super::open_store(cfg)?;
    let log: Arc<dyn LogStore> = store;
    let projection: Arc<dyn Projection> = projection(cfg).await?;
    let tail = Arc::new(Tail::new(0));
    let p = Projector::new(
        log,
        projection,
        tail,
        ProjectorConfig {
            batch_max: cfg.projector_batch_max,
            ..ProjectorConfig::default()
        },
    );
    let mut progress = crate::progress::Progress::new("reprojecting the log", "events", 0);
    let last = p
        .reproject_reporting(|done, head| progress.set(done, head))
        .await?;
    progress.finish();
    Ok(last)
}

/// Applies the ClickHouse migrations not applied yet (`cairn migrate`), showing progress.
pub async fn migrate(cfg: &Config) -> anyhow::Result<()> {
    let p = ClickHouseProjection::new(super::clickhouse_config(cfg));
    let total = cairn_clickhouse::MIGRATIONS.len() as u64;
    let mut progress = crate::progress::Progress::new("migrating ClickHouse", "migrations", total);
    p.migrate_reporting(|done, total, _| progress.set(done as u64, total as u64))
        .await?;
    progress.finish();
    Ok(())
}
