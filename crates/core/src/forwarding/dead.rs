//! Dead letters through the API: listed, retried (sent once more, now) and discarded. With the
//! embedded log they are rows of this node's `forwarding` keyspace ([`dead_key`]); in cluster
//! mode they are the cluster's, records of the replicated bucket ([`super::shared_dead`]), so
//! any node answers for all of them, and a retry is sent by the node that was asked.
use super::delivery::*;
use super::hub::{Hub, blocking, now_us};
use super::model::*;
use super::shared_dead::{RetryEnd, after_retry, in_log};
use crate::error::Error;
use uuid::Uuid;

impl Hub {
    /// The forwarder's dead letters, oldest first.
    pub async fn dead_letters(&self, forwarder: Uuid) -> Result<Vec<DeadLetter>, Error> {
        if let Some(c) = &self.inner.cluster {
            return c.dead().list(forwarder).await;
        }
        let log = self.inner.log.clone();
        blocking(move || {
            log.forwarding_rows(&dead_prefix(forwarder))?
                .into_iter()
                .map(|(_, v)| crate::codec::decode(&v).map_err(Error::Internal))
                .collect()
        })
        .await
    }

    /// One stored dead letter, with its revision in cluster mode.
    async fn dead_letter(&self, forwarder: Uuid, id: Uuid) -> Result<(DeadLetter, u64), Error> {
        if let Some(c) = &self.inner.cluster {
            return c.dead().get(forwarder, id).await;
        }
        let log = self.inner.log.clone();
        blocking(
            move || match log.forwarding_rows(&dead_key(forwarder, id))?.first() {
                Some((_, v)) => Ok((crate::codec::decode(v).map_err(Error::Internal)?, 0)),
                None => Err(Error::NotFound),
            },
        )
        .await
    }

    /// Removes a dead letter without sending it (`NotFound` once it is gone).
    pub async fn discard(&self, forwarder: Uuid, id: Uuid) -> Result<(), Error> {
        if let Some(c) = &self.inner.cluster {
            c.dead().discard(forwarder, id).await?;
        } else {
            self.dead_letter(forwarder, id).await?;
            let log = self.inner.log.clone();
            blocking(move || Ok(log.forwarding_write(&[(dead_key(forwarder, id), None)])?)).await?;
        }
        self.with_status(forwarder, |s| {
            s.dead_letters = s.dead_letters.saturating_sub(1)
        })
        .await;
        Ok(())
    }

    /// Sends a dead letter's statements once more, now. Acknowledged: it is removed (`None`).
    /// Otherwise it stays, with this answer (`Some`). In cluster mode this node sends it, once
    /// its log holds the batch (503 before).
    pub async fn retry(&self, f: &Forwarder, id: Uuid) -> Result<Option<DeadLetter>, Error> {
        let (dl, revision) = self.dead_letter(f.id, id).await?;
        let last = self.inner.writer.last_seq();
        if !in_log(&dl.seqs, last) {
            return Err(Error::Unavailable(format!(
                "this node's log ends at {last}, before the dead letter's statements; \
                 try again in a moment"
            )));
        }
        let (log, seqs) = (self.inner.log.clone(), dl.seqs.clone());
        let events = blocking(move || {
            let mut out = Vec::with_capacity(seqs.len());
            for seq in seqs {
                if let Some(e) = log.event(seq)? {
                    out.push((seq, e));
                }
            }
            Ok(out)
        })
        .await?;
        let batch = Batch::of_events(f, events);
        let outcome = classify(self.inner.deliver.deliver(f, &batch).await);
        let end = after_retry(dl, outcome, now_us());
        if let Some(c) = &self.inner.cluster {
            c.dead().settle(f.id, id, revision, &end).await?;
            if end == RetryEnd::Delivered {
                self.with_status(f.id, |s| s.dead_letters = s.dead_letters.saturating_sub(1))
                    .await;
            }
            return Ok(match end {
                RetryEnd::Delivered => None,
                RetryEnd::Kept(dl) => Some(dl),
            });
        }
        match end {
            RetryEnd::Delivered => {
                let rows = vec![(dead_key(f.id, id), None)];
                let status = self.slot_status(f.id).await;
                let (log, f_id, at) = (self.inner.log.clone(), f.id, now_us());
                blocking(move || match status {
                    Some(st) => Ok(st.change_durably(&*log, f_id, rows, |s| {
                        s.dead_letters = s.dead_letters.saturating_sub(1);
                        s.last_success_us = Some(at);
                    })?),
                    None => Ok(log.forwarding_write(&rows)?),
                })
                .await?;
                Ok(None)
            }
            RetryEnd::Kept(dl) => {
                let (log, row) = (self.inner.log.clone(), dl.clone());
                blocking(move || {
                    let v = crate::codec::encode(&row);
                    Ok(log.forwarding_write(&[(dead_key(row.forwarder, row.id), Some(v))])?)
                })
                .await?;
                Ok(Some(dl))
            }
        }
    }

    /// Cluster mode: removes a deleted forwarder's dead letters from the cluster's bucket
    /// (with the embedded log, [`Hub::sync`] removes its rows).
    pub async fn forget_dead_letters(&self, forwarder: Uuid) -> Result<(), Error> {
        match &self.inner.cluster {
            Some(c) => c.dead().forget(forwarder).await,
            None => Ok(()),
        }
    }

    /// Cluster mode: moves the dead letters kept in this node's `forwarding` keyspace (recorded
    /// before it ran in a cluster, or by an older version) into the cluster's bucket; answers
    /// how many. Those of forwarders deleted meanwhile are only removed. Nothing with the
    /// embedded log. Call at start, before the forwarders run.
    pub async fn migrate_dead_letters(&self) -> Result<usize, Error> {
        match &self.inner.cluster {
            Some(c) => {
                let forwarders = self.inner.forwarders.clone();
                let exists = move |id| forwarders.read().by_id.contains_key(&id);
                c.dead().migrate(self.inner.log.clone(), exists).await
            }
            None => Ok(0),
        }
    }
}
