//! Cluster mode's follower: each node applies what the other nodes append to the replicated
//! log as soon as JetStream tells it of an append, and on a timer in case a notice was lost
//! (core NATS delivery is at most once). The writer thread does the applying, so the committed
//! state it decides against is never changed behind its back. With `projection_shared`, the
//! projection leases ([`crate::projection_leases`]) say which node projects into the shared
//! database; in any cluster, the forwarding lease ([`forwarding`]) says which node runs the
//! forwarders.
use cairn_core::forwarding::Cluster;
use cairn_core::projection_lease::keeper::Keeper;
use cairn_core::projection_lease::{Kind, LeaseBucket, Times};
use cairn_core::writer::WriterHandle;
use cairn_nats::{JetStreamLease, JetStreamLog};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// Starts the follower; it stops at shutdown.
pub async fn follow(
    log: &Arc<JetStreamLog>,
    writer: WriterHandle,
    every: Duration,
    mut shutdown: watch::Receiver<bool>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let appended = Arc::new(Notify::new());
    let notify = appended.clone();
    log.watch(move || notify.notify_one(), shutdown.clone())
        .await
        .map_err(anyhow::Error::msg)?;
    Ok(tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = appended.notified() => {}
                _ = tick.tick() => {}
                _ = shutdown.wait_for(|s| *s) => return,
            }
            if let Err(e) = writer.catch_up().await {
                tracing::warn!(error = %e, "cannot apply the replicated log yet");
            }
        }
    }))
}

/// Finishes on this node's store each purge another node began (its plan came with the
/// replicated log); it stops at shutdown. A purge that fails here stays pending and is tried
/// again every `retry`.
pub fn purges(
    mut begun: watch::Receiver<u64>,
    purger: Arc<cairn_core::purge::run::Purger>,
    retry: Duration,
    mut shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut failed = false;
        loop {
            tokio::select! {
                r = begun.changed(), if !failed => if r.is_err() { return },
                _ = tokio::time::sleep(retry), if failed => {}
                _ = shutdown.wait_for(|s| *s) => return,
            }
            tokio::select! {
                r = purger.resume() => {
                    failed = r.is_err();
                    if let Err(e) = r {
                        tracing::error!(error = %e, "a purge begun by another node could not be finished here yet; trying again");
                    }
                },
                _ = shutdown.wait_for(|s| *s) => return,
            }
        }
    })
}

/// Appends the Finished event of each purge this node finished whose deciding node has not
/// recorded it `takeover` after (`purge_finish_takeover_ms`, see
/// [`cairn_core::purge::finish`]); it stops at shutdown.
pub fn finish_takeovers(
    purger: Arc<cairn_core::purge::run::Purger>,
    takeover: Duration,
    mut shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        // Looked at again at least this often (a purge finished meanwhile adds one).
        let every = (takeover / 4).clamp(Duration::from_millis(100), Duration::from_secs(5));
        loop {
            let wait = match purger.take_over(takeover).await {
                Ok(next) => next.map_or(every, |n| n.min(every)),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot record the end of a purge another node decided yet");
                    every
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(wait.max(Duration::from_millis(10))) => {}
                _ = shutdown.wait_for(|s| *s) => return,
            }
        }
    })
}

/// Why `cairn reproject` refuses to run with `projection_shared`.
pub const NO_SHARED_REPROJECT: &str = "cairn reproject cannot rebuild a database shared by the \
    nodes of a cluster (projection_shared): the position up to which it holds the log is kept \
    with the cluster, not by this command";

/// Connects to the replicated log in cluster mode (`None` with the embedded log).
pub async fn connect(cfg: &crate::config::Config) -> anyhow::Result<Option<Arc<JetStreamLog>>> {
    Ok(match cfg.log_backend {
        crate::config::LogBackend::Embedded => None,
        crate::config::LogBackend::Jetstream => Some(Arc::new(
            JetStreamLog::connect(&cfg.jetstream())
                .await
                .map_err(anyhow::Error::msg)?,
        )),
    })
}

/// In cluster mode: the cluster's key-value bucket (the leases and the forwarders' shared
/// records). `None` with the embedded log.
pub async fn bucket(
    cfg: &crate::config::Config,
    log: Option<&Arc<JetStreamLog>>,
) -> anyhow::Result<Option<JetStreamLease>> {
    let Some(log) = log else {
        return Ok(None);
    };
    Ok(Some(
        log.lease(cfg.jetstream_replicas)
            .await
            .map_err(anyhow::Error::msg)?,
    ))
}

/// This node's id for this run, in the leases: its listen address and a fresh random part.
pub fn node_id(cfg: &crate::config::Config) -> String {
    format!("{}/{}", cfg.http_addr, uuid::Uuid::new_v4().simple())
}

/// In cluster mode: what the forwarding hub needs (the forwarding lease's keeper, after one
/// round, and the bucket of the forwarders' shared records and dead letters).
pub async fn forwarding(
    cfg: &crate::config::Config,
    bucket: Option<&JetStreamLease>,
    me: &str,
) -> Option<Cluster> {
    let bucket = bucket?;
    let keeper = Arc::new(Keeper::of_kind(
        bucket.record(Kind::FORWARDING.key),
        me.to_owned(),
        Times::for_lease(cfg.forwarding_lease_ms),
        Kind::FORWARDING,
    ));
    keeper.tick().await;
    Some(Cluster {
        keeper,
        bucket: Arc::new(bucket.clone()),
        records: Arc::new(bucket.clone()),
    })
}

/// How often a keeper reads a lease of `lease_ms`: often enough to renew it in time and to
/// notice a new shared checkpoint within the follow interval.
pub fn lease_every(cfg: &crate::config::Config, lease_ms: u64) -> Duration {
    let t = Times::for_lease(lease_ms);
    Duration::from_millis(
        (t.renew_ms / 2)
            .min(cfg.jetstream_follow_interval_ms)
            .max(50),
    )
}
