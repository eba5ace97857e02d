//! Cluster mode: the forwarders' dead letters in the cluster's replicated bucket, one record each
//! (key [`key`]: `dead.<forwarder>.<dead letter>`; the format-versioned [`DeadLetter`], the same
//! bytes as a row of the embedded `forwarding` keyspace), so that every node lists, retries and
//! discards the same set and a node that dies loses none of them.
//!
//! The holder of the forwarding lease records a batch's dead letter here (a create, answered
//! once a quorum of the bucket's replicas has it) before its cursor passes the batch: the cursor
//! never passes a batch that was neither acknowledged nor dead-lettered. Any node answers the
//! API from the bucket; a retry is sent by the node that was asked (every node has the log), once
//! its log holds the batch. Removals are compare-and-set on the record's revision, so a second
//! discard, or a retry of a discarded letter, finds nothing (404).
use super::delivery::Outcome;
use super::model::DeadLetter;
use crate::error::Error;
use crate::ports::LogStore;
use crate::projection_lease::{BucketRecords, CasError, LeaseBucket};
use std::sync::Arc;
use uuid::Uuid;

/// Compare-and-set rounds before a change that keeps meeting other writes gives up (503).
const TRIES: usize = 5;

/// The prefix of a forwarder's dead letters in the bucket (`dead.<forwarder>.`).
pub fn prefix(forwarder: Uuid) -> String {
    format!("dead.{}.", forwarder.simple())
}

/// A dead letter's key in the bucket: ids are v7, so keys sort in creation order.
pub fn key(forwarder: Uuid, id: Uuid) -> String {
    format!("{}{}", prefix(forwarder), id.simple())
}

/// How a retry ended: delivered (the dead letter goes), or kept with the target's new answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryEnd {
    Delivered,
    Kept(DeadLetter),
}

/// What a retry's answer makes of the dead letter (pure).
pub fn after_retry(mut dl: DeadLetter, outcome: Outcome, now_us: i64) -> RetryEnd {
    let (status, error) = match outcome {
        Outcome::Acked => return RetryEnd::Delivered,
        Outcome::Retry { status, error, .. } | Outcome::Refused { status, error } => {
            (status, error)
        }
    };
    dl.attempts += 1;
    dl.last_attempt_us = now_us;
    dl.status = status;
    dl.error = error;
    RetryEnd::Kept(dl)
}

/// Whether a log that ends at `last` holds every statement of a dead letter (a node retries one
/// only then: a stand-by's log may still be catching up).
pub fn in_log(seqs: &[u64], last: u64) -> bool {
    seqs.iter().all(|s| *s <= last)
}

fn unavailable(e: impl std::fmt::Display) -> Error {
    Error::Unavailable(format!("the cluster's dead letters: {e}"))
}

fn busy() -> Error {
    Error::Unavailable("the dead letter keeps changing on other nodes; try again".into())
}

fn decode(bytes: &[u8]) -> Result<DeadLetter, Error> {
    crate::codec::decode(bytes).map_err(|e| Error::Internal(format!("a shared dead letter: {e}")))
}

/// The cluster's dead letters (the bucket's records under [`prefix`]).
#[derive(Clone)]
pub struct SharedDeadLetters {
    bucket: Arc<dyn LeaseBucket>,
    records: Arc<dyn BucketRecords>,
}

impl SharedDeadLetters {
    pub fn new(bucket: Arc<dyn LeaseBucket>, records: Arc<dyn BucketRecords>) -> Self {
        SharedDeadLetters { bucket, records }
    }

    async fn scan(&self, forwarder: Uuid) -> Result<Vec<(String, Vec<u8>, u64)>, Error> {
        let mut rows = self
            .records
            .scan(&prefix(forwarder))
            .await
            .map_err(unavailable)?;
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(rows)
    }

    /// The forwarder's dead letters, oldest first.
    pub async fn list(&self, forwarder: Uuid) -> Result<Vec<DeadLetter>, Error> {
        self.scan(forwarder)
            .await?
            .iter()
            .map(|(_, v, _)| decode(v))
            .collect()
    }

    /// How many the forwarder has.
    pub async fn count(&self, forwarder: Uuid) -> Result<u64, Error> {
        Ok(self.scan(forwarder).await?.len() as u64)
    }

    /// One dead letter and its revision (`NotFound`: never recorded, or removed).
    pub async fn get(&self, forwarder: Uuid, id: Uuid) -> Result<(DeadLetter, u64), Error> {
        let record = self.bucket.record(&key(forwarder, id));
        match record.read().await.map_err(unavailable)? {
            Some((bytes, revision)) => Ok((decode(&bytes)?, revision)),
            None => Err(Error::NotFound),
        }
    }

    /// Records a new dead letter, durably once this answers. One already recorded (a write
    /// whose answer was lost, a migration run again) stays as it is.
    pub async fn record(&self, dl: &DeadLetter) -> Result<(), Error> {
        let record = self.bucket.record(&key(dl.forwarder, dl.id));
        match record.create(crate::codec::encode(dl)).await {
            Ok(_) | Err(CasError::Conflict) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// Removes a dead letter (`NotFound` when it is already gone).
    pub async fn discard(&self, forwarder: Uuid, id: Uuid) -> Result<(), Error> {
        for _ in 0..TRIES {
            let (_, revision) = self.get(forwarder, id).await?;
            match self.records.remove(&key(forwarder, id), revision).await {
                Ok(()) => return Ok(()),
                Err(CasError::Conflict) => continue,
                Err(e) => return Err(unavailable(e)),
            }
        }
        Err(busy())
    }

    /// Records how a retry of the dead letter read at `revision` ended: delivered, it is removed
    /// (gone already is fine); kept, the new answer replaces the old one where it still is
    /// (`NotFound` when another node removed it meanwhile).
    pub async fn settle(
        &self,
        forwarder: Uuid,
        id: Uuid,
        mut revision: u64,
        end: &RetryEnd,
    ) -> Result<(), Error> {
        let k = key(forwarder, id);
        for _ in 0..TRIES {
            let written = match end {
                RetryEnd::Delivered => self.records.remove(&k, revision).await,
                RetryEnd::Kept(dl) => self
                    .bucket
                    .record(&k)
                    .update(crate::codec::encode(dl), revision)
                    .await
                    .map(|_| ()),
            };
            match written {
                Ok(()) => return Ok(()),
                Err(CasError::Conflict) => match self.get(forwarder, id).await {
                    Ok((_, r)) => revision = r,
                    Err(Error::NotFound) if *end == RetryEnd::Delivered => return Ok(()),
                    Err(e) => return Err(e),
                },
                Err(e) => return Err(unavailable(e)),
            }
        }
        Err(busy())
    }

    /// Removes every dead letter of a deleted forwarder.
    pub async fn forget(&self, forwarder: Uuid) -> Result<(), Error> {
        for (k, _, revision) in self.scan(forwarder).await? {
            match self.records.remove(&k, revision).await {
                Ok(()) | Err(CasError::Conflict) => {}
                Err(e) => return Err(unavailable(e)),
            }
        }
        Ok(())
    }

    /// Moves the dead letters this node kept in its embedded `forwarding` keyspace (before it
    /// ran in a cluster, or before an upgrade) into the bucket, then removes them from the
    /// keyspace; answers how many moved. Those of forwarders that no longer `exist` are only
    /// removed. Run again after a failure, it records none twice.
    pub async fn migrate(
        &self,
        log: Arc<dyn LogStore>,
        exists: impl Fn(Uuid) -> bool,
    ) -> Result<usize, Error> {
        let rows = {
            let log = log.clone();
            tokio::task::spawn_blocking(move || log.forwarding_rows(b"d"))
                .await
                .map_err(|e| Error::Internal(e.to_string()))??
        };
        let mut n = 0;
        for (_, v) in &rows {
            let dl = decode(v)?;
            if exists(dl.forwarder) {
                self.record(&dl).await?;
                n += 1;
            }
        }
        let gone: Vec<(Vec<u8>, Option<Vec<u8>>)> =
            rows.into_iter().map(|(k, _)| (k, None)).collect();
        if !gone.is_empty() {
            tokio::task::spawn_blocking(move || log.forwarding_write(&gone))
                .await
                .map_err(|e| Error::Internal(e.to_string()))??;
        }
        Ok(n)
    }
}

#[cfg(test)]
#[path = "shared_dead_tests.rs"]
mod tests;
