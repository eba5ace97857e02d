//! Projection partitions (`projection_partitions`, designed in docs/ARCHITECTURE.md, "Cluster
//! mode"): the shared projection split into `P` leases by a hash of the store id, so that the
//! nodes of a cluster share the work. Everything here is pure:
//!
//! - [`partition_of`]: a store's partition, `sipHash64(toString(store)) % P`, which ClickHouse
//!   computes identically (SipHash-2-4 with a zero key over the UUID's hyphenated lower-case
//!   text; `cairn-clickhouse`'s `partition_predicate` and its test against a real server);
//! - [`quota`] and [`decide_within_quota`]: a node takes at most `ceil(P / live nodes)` leases
//!   and hands back what it holds beyond that; [`live_nodes`] counts the nodes from their
//!   presence records ([`node_key`]);
//! - [`Checkpoints`]: each partition's checkpoint, and which tail entries they cover.
//!
//! With `P = 1` every store is in partition 0, the one lease keeps its key `all`, and all of
//! this reduces to the single projection lease.
use super::Action;
use crate::ids::StoreId;

/// SipHash-2-4 with a zero key, as ClickHouse's `sipHash64` computes it.
pub fn sip_hash64(bytes: &[u8]) -> u64 {
    let mut v = [
        0x736f_6d65_7073_6575_u64,
        0x646f_7261_6e64_6f6d,
        0x6c79_6765_6e65_7261,
        0x7465_6462_7974_6573,
    ];
    fn round(v: &mut [u64; 4]) {
        v[0] = v[0].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(13) ^ v[0];
        v[0] = v[0].rotate_left(32);
        v[2] = v[2].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(16) ^ v[2];
        v[0] = v[0].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(21) ^ v[0];
        v[2] = v[2].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(17) ^ v[2];
        v[2] = v[2].rotate_left(32);
    }
    fn compress(v: &mut [u64; 4], m: u64) {
        v[3] ^= m;
        round(v);
        round(v);
        v[0] ^= m;
    }
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        compress(&mut v, u64::from_le_bytes(c.try_into().expect("8 bytes")));
    }
    let mut last = [0u8; 8];
    let rest = chunks.remainder();
    last[..rest.len()].copy_from_slice(rest);
    last[7] = bytes.len() as u8;
    compress(&mut v, u64::from_le_bytes(last));
    v[2] ^= 0xff;
    for _ in 0..4 {
        round(&mut v);
    }
    v[0] ^ v[1] ^ v[2] ^ v[3]
}

/// The partition (`0..partitions`) of `store`'s statements and persona links.
pub fn partition_of(store: StoreId, partitions: u32) -> u32 {
    let partitions = partitions.max(1);
    (sip_hash64(store.0.hyphenated().to_string().as_bytes()) % u64::from(partitions)) as u32
}

/// The key of partition `k`'s lease record: `all` when there is one partition (the key of the
/// single projection lease), else `p<k>-of-<P>` (a different `P` starts new records).
pub fn lease_key(k: u32, partitions: u32) -> String {
    if partitions <= 1 {
        "all".into()
    } else {
        format!("p{k}-of-{partitions}")
    }
}

/// The most leases one node may hold: `ceil(P / live nodes)` (a node always counts itself).
pub fn quota(partitions: u32, live_nodes: u32) -> u32 {
    partitions.max(1).div_ceil(live_nodes.max(1))
}

/// The key of node `id`'s presence record in the lease bucket (renewed by the node's keeper).
pub fn node_key(id: &str) -> String {
    format!("node-{id}")
}

/// How many nodes count as live at `now` (this node's monotonic clock, ms) for [`quota`]:
/// this node, and every other node whose presence record this node saw change less than
/// `lease_ms` ago (`seen`: each other node's id and when this node first read the current
/// revision of its record). Clocks are never compared across machines, as for the leases.
pub fn live_nodes(now: u64, me: &str, seen: &[(&str, u64)], lease_ms: u64) -> u32 {
    let others = seen
        .iter()
        .filter(|(id, since)| *id != me && now < since + lease_ms)
        .count();
    1 + others as u32
}

/// What a node does about one partition's lease, once the quota is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartitionAction {
    /// Do as [`super::decide`] says.
    Act(Action),
    /// The node is at its quota: leave this free lease to another node (stand by on it).
    Leave { checkpoint: u64 },
    /// The node holds more than its quota (a node joined): release this lease once its
    /// projector has stopped writing, so another node takes it at once.
    Release { checkpoint: u64 },
}

/// Applies the quota to [`super::decide`]'s `action` for one partition, the partitions being
/// visited in order and `held` counting the leases this node keeps among the earlier ones:
/// creating or taking a lease needs room under the quota; a held lease beyond it is released
/// (so a node over its quota keeps its lowest partitions).
pub fn decide_within_quota(action: Action, held: u32, quota: u32) -> PartitionAction {
    match action {
        Action::Create if held >= quota => PartitionAction::Leave { checkpoint: 0 },
        Action::Take { checkpoint } if held >= quota => PartitionAction::Leave { checkpoint },
        Action::Hold { checkpoint, .. } | Action::Renew { checkpoint, .. } if held >= quota => {
            PartitionAction::Release { checkpoint }
        }
        a => PartitionAction::Act(a),
    }
}

/// Each partition's checkpoint, as last read from its lease record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoints(Vec<u64>);

impl Checkpoints {
    /// `partitions` checkpoints at 0.
    pub fn new(partitions: u32) -> Self {
        Checkpoints(vec![0; partitions.max(1) as usize])
    }

    pub fn partitions(&self) -> u32 {
        self.0.len() as u32
    }

    pub fn get(&self, k: u32) -> u64 {
        self.0[k as usize]
    }

    /// Records partition `k`'s checkpoint (they only move forward: an older read is ignored).
    pub fn set(&mut self, k: u32, checkpoint: u64) {
        let c = &mut self.0[k as usize];
        *c = (*c).max(checkpoint);
    }

    /// Whether the shared database holds the log entry at `seq` of `store`: its partition's
    /// checkpoint has passed it, so it may leave the tail.
    pub fn covers(&self, seq: u64, store: StoreId) -> bool {
        seq <= self.get(partition_of(store, self.partitions()))
    }

    /// The position up to which the database holds the whole log: the lowest checkpoint.
    pub fn low(&self) -> u64 {
        self.0.iter().copied().min().unwrap_or(0)
    }
}

#[cfg(test)]
#[path = "partition_tests.rs"]
mod tests;
