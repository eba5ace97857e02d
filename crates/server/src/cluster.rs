//! Cluster mode's follower: each node applies what the other nodes append to the replicated
//! log as soon as JetStream tells it of an append, and on a timer in case a notice was lost
//! (core NATS delivery is at most once). The writer thread does the applying, so the committed
//! state it decides against is never changed behind its back.
use cairn_core::writer::WriterHandle;
use cairn_nats::JetStreamLog;
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
