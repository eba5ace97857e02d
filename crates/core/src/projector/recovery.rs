//! Start-up and rebuilds: the projection made current and the unprojected part of the log
//! loaded into the tail ([`Projector::recover`] and its variants), and the whole log replayed
//! into an emptied projection ([`Projector::reproject`]).
use super::{CHECKPOINT_KEY, Projector, read_checkpoint};
use crate::event::Event;

impl Projector {
    /// Migrates the projection, cleans it of rows past the checkpoint and loads the unprojected
    /// part of the log into the tail. Call before serving reads.
    pub async fn recover(&self) -> Result<u64, crate::Error> {
        self.recover_reporting(|_, _| {}).await
    }

    /// [`Projector::recover`], calling `projected(done, total)` with the log entries of a long
    /// backlog projected so far and in all, before the first batch and after each (start-up
    /// shows it as progress). Not called when the backlog fits in the tail.
    pub async fn recover_reporting(
        &self,
        mut projected: impl FnMut(u64, u64) + Send,
    ) -> Result<u64, crate::Error> {
        let mut checkpoint = self.blocking(read_checkpoint).await?;
        self.prepare(checkpoint).await?;
        // A long backlog (ClickHouse was away or slow) is projected now rather than held in
        // memory: the tail keeps at most about `recover_tail_max` events.
        let head = self.blocking(|log| log.last_seq()).await?;
        let start = checkpoint;
        if head.saturating_sub(checkpoint) > self.config.recover_tail_max as u64 {
            projected(0, head - start);
        }
        while head.saturating_sub(checkpoint) > self.config.recover_tail_max as u64 {
            let next = self.project_once(checkpoint).await?;
            if next == checkpoint {
                break;
            }
            checkpoint = next;
            projected(checkpoint.min(head) - start, head - start);
        }
        self.load_tail(checkpoint).await?;
        Ok(checkpoint)
    }

    /// Start-up while the projection cannot be reached: the whole unprojected part of the log
    /// goes into the tail (the ingest back-pressure bound kept it to about
    /// `ingest_backlog_max` statements), and [`Projector::run`] migrates and projects once the
    /// projection answers.
    pub async fn recover_offline(&self) -> Result<u64, crate::Error> {
        let checkpoint = self.blocking(read_checkpoint).await?;
        self.recover_from(checkpoint).await?;
        Ok(checkpoint)
    }

    /// Start-up without touching the projection: the log after `watermark` goes into the
    /// tail (a tail made with that watermark), and [`Projector::run`] finds out whether the
    /// projection answers. A node sharing its database starts so, with the shared checkpoint.
    pub async fn recover_from(&self, watermark: u64) -> Result<(), crate::Error> {
        self.status.set_down();
        self.load_tail(watermark).await
    }

    /// Pushes every statement and persona change after `checkpoint` into the tail.
    async fn load_tail(&self, checkpoint: u64) -> Result<(), crate::Error> {
        let tail = self.tail.clone();
        self.blocking(move |log| {
            let mut after = checkpoint;
            loop {
                let batch = log.events_after(after, 10_000)?;
                let Some((last, _)) = batch.last() else {
                    return Ok(());
                };
                after = *last;
                for (seq, e) in batch {
                    // Documents and the tenancy are not projected (they live in the embedded store).
                    match e {
                        Event::Statement(r) => tail.push(seq, r),
                        Event::Persona(p) => tail.push_persona(seq, p),
                        Event::Document(_)
                        | Event::Tenancy(_)
                        | Event::Dashboard(_)
                        | Event::Forwarder(_)
                        | Event::Purge(_)
                        | Event::Audit(_) => {}
                    }
                }
            }
        })
        .await
    }

    /// Replays the whole log into an emptied projection (the `reproject` command).
    pub async fn reproject(&self) -> Result<u64, crate::Error> {
        self.reproject_reporting(|_, _| {}).await
    }

    /// [`Projector::reproject`], calling `projected(seq, head)` first and after each batch with the
    /// sequence number projected up to and the log's last one (`cairn reproject` shows it as
    /// progress).
    pub async fn reproject_reporting(
        &self,
        mut projected: impl FnMut(u64, u64) + Send,
    ) -> Result<u64, crate::Error> {
        self.blocking(|log| log.meta_put(CHECKPOINT_KEY, &0u64.to_be_bytes()))
            .await?;
        self.projection.discard_after(0).await?;
        let head = self.blocking(|log| log.last_seq()).await?;
        projected(0, head);
        let mut after = 0;
        loop {
            let n = self.project_once(after).await?;
            if n == after {
                return Ok(after);
            }
            after = n;
            projected(after, head.max(after));
        }
    }
}
