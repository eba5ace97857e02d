//! A node's leases of the projection partitions (`projection_partitions` > 1): one [`Keeper`]
//! per partition, ticked together in partition order under the node's quota, and the node's
//! presence record, from which every node counts the live nodes ([`live_nodes`]) and so its
//! share of the partitions ([`quota`]).
//!
//! A node that joins is seen by the others within a tick; each of them then holds more than
//! its quota, keeps its lowest partitions and releases the others (through their projectors,
//! between writes), which the new node takes at once. A node that stops renewing its presence
//! record stops counting after the lease's length (on each reader's own clock, as for the
//! leases); its partitions' leases expire as well and the survivors take them within their
//! now larger quotas.
use super::keeper::Keeper;
use super::partition::{live_nodes, quota};
use super::{Presence, Times};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, watch};

/// A presence record unchanged for this many leases is removed (a node long gone).
const FORGET_AFTER_LEASES: u64 = 4;

/// The leases of one node's projection partitions, and its presence.
pub struct LeaseSet {
    keepers: Vec<Arc<Keeper>>,
    presence: Arc<dyn Presence>,
    /// This node's id in the presence records.
    me: String,
    times: Times,
    epoch: Instant,
    /// Every other node's record: its revision and when this node first read it (ms on
    /// `epoch`).
    seen: Mutex<HashMap<String, (u64, u64)>>,
}

impl LeaseSet {
    /// `keepers[k]` runs partition `k`'s lease; `me` is this node's presence id.
    pub fn new(
        keepers: Vec<Arc<Keeper>>,
        presence: Arc<dyn Presence>,
        me: String,
        times: Times,
    ) -> Self {
        LeaseSet {
            keepers,
            presence,
            me,
            times,
            epoch: Instant::now(),
            seen: Mutex::default(),
        }
    }

    /// Partition `k`'s keeper.
    pub fn keepers(&self) -> &[Arc<Keeper>] {
        &self.keepers
    }

    /// How many partitions.
    pub fn partitions(&self) -> u32 {
        self.keepers.len() as u32
    }

    /// One round: renews this node's presence, counts the live nodes, then ticks each
    /// partition's keeper in order with the leases kept so far. Answers the partitions held.
    pub async fn tick(&self) -> Vec<u32> {
        let live = self.live().await;
        let quota = quota(self.partitions(), &live, &self.me);
        metrics::gauge!("cairn_projection_live_nodes").set(live.len() as f64);
        let mut held = Vec::new();
        for (k, keeper) in self.keepers.iter().enumerate() {
            if keeper.tick_within(held.len() as u32, quota).await {
                held.push(k as u32);
            }
        }
        metrics::gauge!("cairn_projection_partitions_held").set(held.len() as f64);
        held
    }

    /// Renews this node's presence and answers the live nodes' ids (this one among them). A
    /// node that cannot read the records counts the nodes it saw change within the lease.
    async fn live(&self) -> Vec<String> {
        if let Err(e) = self.presence.beat().await {
            tracing::debug!(error = %e, "cannot renew this node's presence record");
        }
        let nodes = match self.presence.nodes().await {
            Ok(n) => n,
            Err(e) => {
                tracing::debug!(error = %e, "cannot read the nodes' presence records");
                Vec::new()
            }
        };
        let now = self.epoch.elapsed().as_millis() as u64;
        let mut seen = self.seen.lock().await;
        for (id, revision) in nodes {
            if id == self.me {
                continue;
            }
            match seen.get(&id) {
                Some((r, _)) if *r == revision => {}
                _ => {
                    seen.insert(id, (revision, now));
                }
            }
        }
        let forget_after = self.times.lease_ms * FORGET_AFTER_LEASES;
        let gone: Vec<String> = seen
            .iter()
            .filter(|(_, (_, since))| now >= since + forget_after)
            .map(|(id, _)| id.clone())
            .collect();
        for id in gone {
            if self.presence.forget(&id).await.is_ok() {
                seen.remove(&id);
            }
        }
        let ids: Vec<(&str, u64)> = seen.iter().map(|(id, (_, t))| (id.as_str(), *t)).collect();
        live_nodes(now, &self.me, &ids, self.times.lease_ms)
    }

    /// Ticks every `every` until `shutdown` (each projector releases its lease once stopped).
    pub fn spawn(
        self: &Arc<Self>,
        every: Duration,
        shutdown: watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        let set = self.clone();
        super::every(every, shutdown, move || {
            let set = set.clone();
            async move {
                set.tick().await;
            }
        })
    }
}
