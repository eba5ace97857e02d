//! Projection partitions (`projection_partitions`, designed in docs/ARCHITECTURE.md, "Cluster
//! mode"): the shared projection split into `P` leases by a hash of the store id, so that the
//! nodes of a cluster share the work. Everything here is pure:
//!
//! - [`partition_of`]: a store's partition, `sipHash64(toString(store)) % P`, which ClickHouse
//!   computes identically (SipHash-2-4 with a zero key over the UUID's hyphenated lower-case
//!   text; `cairn-clickhouse`'s `partition_predicate` and its test against a real server);
//! - [`quota`] and [`decide_within_quota`]: a node takes at most its share of the `P` leases
//!   (`P / live nodes`, some one more) and hands back what it holds beyond that; [`live_nodes`] counts the nodes from their
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

/// The most leases node `me` may hold: the partitions split evenly over the `live` nodes (ids,
/// `me` among them), the first `P mod N` of them in id order taking one more. The quotas sum to
/// exactly `P`, so once the nodes agree on who is live each holds its share (4 partitions over
/// 3 nodes: 2, 1, 1) and none is left without work while another holds more than its share.
pub fn quota(partitions: u32, live: &[String], me: &str) -> u32 {
    let partitions = partitions.max(1);
    let mut ids: Vec<&str> = live.iter().map(String::as_str).collect();
    if !ids.contains(&me) {
        ids.push(me);
    }
    ids.sort_unstable();
    let n = ids.len() as u32;
    let rank = ids.iter().position(|id| *id == me).unwrap_or(0) as u32;
    partitions / n + u32::from(rank < partitions % n)
}

/// The key of node `id`'s presence record in the lease bucket (renewed by the node's keeper).
pub fn node_key(id: &str) -> String {
    format!("node-{id}")
}

/// The nodes that count as live at `now` (this node's monotonic clock, ms) for [`quota`], in
/// id order: this node, and every other node whose presence record this node saw change less
/// than `lease_ms` ago (`seen`: each other node's id and when this node first read the current
/// revision of its record). Clocks are never compared across machines, as for the leases.
pub fn live_nodes(now: u64, me: &str, seen: &[(&str, u64)], lease_ms: u64) -> Vec<String> {
    let mut live: Vec<String> = seen
        .iter()
        .filter(|(id, since)| *id != me && now < since + lease_ms)
        .map(|(id, _)| (*id).to_owned())
        .chain(std::iter::once(me.to_owned()))
        .collect();
    live.sort_unstable();
    live.dedup();
    live
}

/// The key of the record naming how many partitions the cluster projects with (absent: one,
/// the single lease `all`).
pub const PARTITIONS_KEY: &str = "partitions";

/// Whether a node set to `mine` partitions may join a cluster that projects with `recorded`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Agreement {
    /// The same number: join.
    Same,
    /// A different number, and no node projects with it (every lease of `recorded` released):
    /// the new partitions' leases start at `seed`, the lowest of the old checkpoints (the
    /// database holds every store's events up to there; each new holder cleans up past it).
    Adopt { seed: u64 },
    /// A different number while a node may still project with it.
    Refuse(String),
}

/// Decides [`Agreement`] from the recorded number and the leases of its partitions
/// (`old[k]`: partition `k`'s lease, `None` when never written).
pub fn agree(recorded: u32, mine: u32, old: &[Option<super::Lease>]) -> Agreement {
    if recorded == mine {
        return Agreement::Same;
    }
    if let Some((k, lease)) = old
        .iter()
        .enumerate()
        .find_map(|(k, l)| l.as_ref().filter(|l| !l.owner.is_empty()).map(|l| (k, l)))
    {
        return Agreement::Refuse(format!(
            "this cluster projects with projection_partitions = {recorded} (the lease of \
             partition {k} is held by {}), and this node is set to {mine}: stop every node \
             cleanly, then start them all with the same value",
            lease.owner
        ));
    }
    let seed = old
        .iter()
        .map(|l| l.as_ref().map_or(0, |l| l.checkpoint))
        .min()
        .unwrap_or(0);
    Agreement::Adopt { seed }
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
