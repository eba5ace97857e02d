//! The projection lease (cluster mode with a shared ClickHouse database): the nodes of a
//! cluster share one database, and only the node holding the lease projects into it. The lease
//! is one record in a replicated key-value store ([`LeaseStore`], JetStream's in `cairn-nats`)
//! holding the holder's id and the shared checkpoint; every change to it is a compare-and-set on
//! the record's revision, so two nodes can never both believe a write of theirs took effect.
//!
//! Time is never compared across machines. A node that reads a revision it did not write
//! starts its own clock on it ([`Observed::since`]); it may take the lease once that revision
//! has stayed unchanged for the lease's length. The holder counts its lease from the moment it
//! *sent* the write that produced its revision, so its lease ends before any other node can
//! take it, and it stops writing into ClickHouse a margin before that end ([`decide`],
//! [`Times::write_until`]). See docs/ARCHITECTURE.md, "Cluster mode", for the argument and its
//! assumption (bounded pauses).
//!
//! [`keeper`] runs a lease. The same keeper, `decide` and record run two leases, each a key of
//! one bucket ([`LeaseBucket`]): the projection lease ([`Kind::PROJECTION`]) and, in any
//! cluster, the forwarding lease ([`Kind::FORWARDING`]: only its holder runs the statement
//! forwarders; its record's checkpoint is unused and stays 0).
use serde::{Deserialize, Serialize};
use std::time::Duration;

pub mod keeper;
pub mod partition;
pub mod set;

/// The lease record as stored (format-versioned, [`crate::codec`]). `owner` is empty when the
/// last holder released it (a clean shutdown): any node may take it at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// The holding node's id for this run (a node started again has a new one).
    pub owner: String,
    /// Everything in the log up to this position is in the shared database, exactly once.
    pub checkpoint: u64,
}

impl Lease {
    pub fn encode(&self) -> Vec<u8> {
        crate::codec::encode(self)
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, String> {
        crate::codec::decode(bytes).map_err(|e| format!("projection lease record: {e}"))
    }
}

/// What this node knows of the lease record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    pub lease: Lease,
    /// The record's revision (every write changes it).
    pub revision: u64,
    /// On this node's monotonic clock, in milliseconds: when this node sent the write that
    /// produced `revision` (when `written`), else when it first read `revision`.
    pub since: u64,
    /// Whether this node wrote `revision` and saw the write confirmed.
    pub written: bool,
}

/// The lease's timings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Times {
    /// A revision unchanged for this long may be taken over by another node.
    pub lease_ms: u64,
    /// The holder renews its lease once this much of it has passed.
    pub renew_ms: u64,
    /// The holder starts no write into ClickHouse once less than this remains of its lease;
    /// each write must finish within [`Times::write_timeout`], which is shorter.
    pub margin_ms: u64,
}

impl Times {
    /// Timings for a lease of `lease_ms`: renewed after a quarter, writes stopped with half of
    /// it left, and each write bounded by two fifths of it.
    pub fn for_lease(lease_ms: u64) -> Self {
        Times {
            lease_ms,
            renew_ms: lease_ms / 4,
            margin_ms: lease_ms / 2,
        }
    }

    /// How long one write into ClickHouse (an insert, with the clean-up it may run first) may
    /// take: less than the margin, so a write started in time ends before the lease does.
    pub fn write_timeout(&self) -> Duration {
        Duration::from_millis(self.margin_ms * 4 / 5)
    }

    /// Until when (exclusive, this node's clock) the holder of a revision written at `since`
    /// may start a write.
    pub fn write_until(&self, since: u64) -> u64 {
        (since + self.lease_ms).saturating_sub(self.margin_ms)
    }
}

/// What a node does about the lease now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// There is no lease record yet: create it (held by this node, checkpoint 0).
    Create,
    /// The lease is free (released, or its holder has not renewed it for the lease's length):
    /// take it, on the observed revision, keeping its checkpoint.
    Take { checkpoint: u64 },
    /// This node holds the lease and may write into ClickHouse until `until`.
    Hold { checkpoint: u64, until: u64 },
    /// This node holds the lease, or wrote it last without seeing the confirmation: write it
    /// again (same checkpoint) on the observed revision. Writes into ClickHouse may go on until
    /// `until` (`None`: not before the renewal is confirmed).
    Renew { checkpoint: u64, until: Option<u64> },
    /// Another node holds the lease: stand by, with the shared checkpoint.
    Wait { checkpoint: u64 },
}

/// Decides, at `now` (this node's monotonic clock, in ms), what node `me` does about the lease
/// it last observed.
pub fn decide(now: u64, observed: Option<&Observed>, me: &str, t: &Times) -> Action {
    let Some(o) = observed else {
        return Action::Create;
    };
    let checkpoint = o.lease.checkpoint;
    if o.lease.owner == me {
        if !o.written {
            // Written by this node but not confirmed to it: when it took effect is unknown, so
            // it vouches for nothing until a renewal is confirmed.
            return Action::Renew {
                checkpoint,
                until: None,
            };
        }
        let until = t.write_until(o.since);
        if now >= o.since + t.renew_ms {
            return Action::Renew {
                checkpoint,
                until: (now < until).then_some(until),
            };
        }
        return Action::Hold { checkpoint, until };
    }
    if o.lease.owner.is_empty() || now >= o.since + t.lease_ms {
        return Action::Take { checkpoint };
    }
    Action::Wait { checkpoint }
}

/// Which lease a keeper runs: its key in the bucket, and the names it is logged and measured by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// The record's key in the bucket.
    pub key: &'static str,
    /// What the holder does, for the logs ("projects", "forwards").
    pub work: &'static str,
    /// The gauge that is 1 while this node holds the lease.
    pub held_gauge: &'static str,
    /// The counter of the times this node started holding it.
    pub acquired_counter: &'static str,
}

impl Kind {
    /// The projection lease (`projection_shared`): only its holder writes the shared database.
    pub const PROJECTION: Kind = Kind {
        key: "all",
        work: "projects",
        held_gauge: "cairn_projection_lease_held",
        acquired_counter: "cairn_projection_lease_acquired_total",
    };
    /// The forwarding lease (any cluster): only its holder runs the forwarders.
    pub const FORWARDING: Kind = Kind {
        key: "forwarding",
        work: "forwards",
        held_gauge: "cairn_forwarding_lease_held",
        acquired_counter: "cairn_forwarding_lease_acquired_total",
    };
}

/// A bucket of replicated records with compare-and-set (JetStream's key-value store in
/// `cairn-nats`): the leases and the forwarders' shared cursors are keys of it.
pub trait LeaseBucket: Send + Sync + 'static {
    /// The record under `key` (letters, digits, `-`, `_` and `.`).
    fn record(&self, key: &str) -> std::sync::Arc<dyn LeaseStore>;
}

/// A replicated key-value record with compare-and-set (JetStream's key-value store in
/// `cairn-nats`): a lease, or a forwarder's shared cursor.
#[async_trait::async_trait]
pub trait LeaseStore: Send + Sync + 'static {
    /// The record and its revision (`None`: never written).
    async fn read(&self) -> Result<Option<(Vec<u8>, u64)>, String>;
    /// Writes the record if it does not exist; answers its revision, or `Conflict` when it does.
    async fn create(&self, value: Vec<u8>) -> Result<u64, CasError>;
    /// Writes the record if its revision is still `revision`; answers the new revision, or
    /// `Conflict` when another write came first.
    async fn update(&self, value: Vec<u8>, revision: u64) -> Result<u64, CasError>;
}

/// The records of the same bucket listed by key prefix, and removed by revision: the
/// forwarders' dead letters in cluster mode (`crate::forwarding::shared_dead`), one record each.
#[async_trait::async_trait]
pub trait BucketRecords: Send + Sync + 'static {
    /// Every record whose key starts with `prefix` (whole dot-separated parts: the prefix ends
    /// with `.`), as (key, value, revision). Removed records are left out.
    async fn scan(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>, u64)>, String>;
    /// Removes the record `key` if its revision is still `revision`: `Conflict` when another
    /// write came first (it changed, or it is already gone).
    async fn remove(&self, key: &str, revision: u64) -> Result<(), CasError>;
}

/// The nodes' presence records, in the same replicated key-value store as the leases: each
/// node renews its own, and reads everyone's revisions to count the live nodes
/// ([`partition::live_nodes`]) for its quota of projection partitions.
#[async_trait::async_trait]
pub trait Presence: Send + Sync + 'static {
    /// Writes this node's record again (a new revision).
    async fn beat(&self) -> Result<(), String>;
    /// Every node's record (this node's too): the node's id and the record's revision.
    async fn nodes(&self) -> Result<Vec<(String, u64)>, String>;
    /// Removes the record of a node long gone.
    async fn forget(&self, id: &str) -> Result<(), String>;
}

/// Runs `tick` every `period` (a tick that runs late delays the next) until `shutdown` flips
/// to true: the loop of a keeper and of a node's partition leases.
pub(crate) fn every<F, Fut>(
    period: Duration,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
    mut tick: F,
) -> tokio::task::JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut timer = tokio::time::interval(period);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                _ = shutdown.wait_for(|s| *s) => return,
                _ = timer.tick() => {}
            }
            tick().await;
        }
    })
}

/// Why a compare-and-set did not happen.
#[derive(Debug, thiserror::Error)]
pub enum CasError {
    /// Another write came first (the record exists, or its revision moved).
    #[error("the shared record was changed by another node")]
    Conflict,
    /// The store could not be reached or did not confirm in time: the write may or may not
    /// have happened.
    #[error("shared record: {0}")]
    Unavailable(String),
}

#[cfg(test)]
mod tests;
