//! A purge's ClickHouse phase in a cluster whose nodes share one database (`projection_shared`).
//!
//! Every node finishes every purge on its own store, but the shared rows are deleted, and the
//! aggregates of the touched hours and months rebuilt, once per projection partition, by the
//! node holding that partition's projection lease, once its projector has passed the purge
//! (the lease's checkpoint is at or past the plan's `until`) and has cleaned up in its current
//! term ([`Keeper::ready`]):
//!
//! 1. the rows of the plan's entries go ([`Projection::purge_rows`]; deleting rows of removed
//!    entries is right whenever it lands: no projector writes a position at or below its
//!    lease's checkpoint again);
//! 2. under the node's purge gate (no batch of this node is inserted meanwhile), the aggregates
//!    of the partition's touched hours and months are rebuilt, each write started only within
//!    the lease's write window of the same term ([`Projection::purge_aggregates_within`]), and
//!    the persona links the plan rewrites are written again;
//! 3. still holding the lease in that term, the node raises the partition's *purge mark* (a
//!    record of the cluster's key-value bucket beside the lease, [`mark_key`]) to the plan's
//!    `until`.
//!
//! A node that does not hold the lease waits until the mark of every partition the plan touches
//! has reached `until`, or until it holds the lease itself and does the phase. So no node
//! finishes a purge before the phase is done in every partition it touches, and a node that
//! takes a lease over while a purge is pending does the phase again from its start: every step
//! can be repeated. Marks only grow, and every node finishes the purges in log order, so a mark
//! at or past a plan's `until` means the plan's phase is done in that partition.
//! docs/ARCHITECTURE.md ("Purges in a cluster") gives the argument.
use super::PurgePlan;
use crate::error::Error;
use crate::ids::StoreId;
use crate::ports::{PersonaLink, Projection};
use crate::projection_lease::keeper::Keeper;
use crate::projection_lease::partition::{lease_key, partition_of};
use crate::projection_lease::{CasError, LeaseStore};
use crate::tail::Tail;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

/// The bucket key of partition `k`'s (of `of`) purge mark: `purged.` and the lease's key.
pub fn mark_key(k: u32, of: u32) -> String {
    format!("purged.{}", lease_key(k, of))
}

/// A purge mark as stored: the log position (`until`) of the last purge whose phase is done in
/// the partition, big-endian.
pub fn encode_mark(until: u64) -> Vec<u8> {
    until.to_be_bytes().to_vec()
}

pub fn decode_mark(bytes: &[u8]) -> Result<u64, String> {
    bytes
        .try_into()
        .map(u64::from_be_bytes)
        .map_err(|_| format!("a purge mark of {} bytes", bytes.len()))
}

/// The partitions (of `of`) whose stores `plan` removes entries of, ascending.
pub fn touched(plan: &PurgePlan, of: u32) -> Vec<u32> {
    let mut out: Vec<u32> = plan
        .scope
        .stores()
        .into_iter()
        .chain(plan.hours.iter().map(|(s, _)| *s))
        .map(|s| partition_of(s, of))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// What partition `k` (of `of`) does of `plan` in the shared database: every entry's rows (a
/// removed entry is never projected again, so deleting another partition's is harmless),
/// except the persona entries of other partitions that the plan rewrites (their holders write
/// them again); the partition's own hours, unvoided statements and persona rewrites.
pub fn in_partition(plan: &PurgePlan, k: u32, of: u32) -> PurgePlan {
    let mine = |s: StoreId| partition_of(s, of) == k;
    let others: HashSet<u64> = plan
        .persona_rewrites
        .iter()
        .filter(|(_, e)| !mine(e.store))
        .map(|(seq, _)| *seq)
        .collect();
    let mut p = plan.clone();
    p.seqs.retain(|s| !others.contains(s));
    p.hours.retain(|(s, _)| mine(*s));
    p.unvoid.retain(|u| mine(u.store));
    p.persona_rewrites.retain(|(_, e)| mine(e.store));
    if let super::PurgeScope::Entries { stores } = &mut p.scope {
        stores.retain(|s| mine(*s));
    }
    p
}

/// The persona links of the persona events `plan` writes in place of removed ones.
pub fn links(plan: &PurgePlan) -> Vec<PersonaLink> {
    plan.persona_rewrites
        .iter()
        .flat_map(|(seq, e)| {
            e.change
                .links()
                .into_iter()
                .map(|(ifi, persona)| PersonaLink {
                    seq: *seq,
                    store: e.store,
                    ifi: ifi.to_string(),
                    persona,
                })
        })
        .collect()
}

/// One projection partition, as a purge sees it.
pub struct SharedPartition {
    /// This node's keeper of the partition's lease.
    pub keeper: Arc<Keeper>,
    /// The projection scoped to the partition (its writes carry the partition's query ids).
    pub projection: Arc<dyn Projection>,
    /// The partition's purge mark ([`mark_key`]).
    pub mark: Arc<dyn LeaseStore>,
}

/// The ClickHouse phase of this node's purges in a shared database (see the module doc).
pub struct SharedProjection {
    partitions: Vec<SharedPartition>,
    tail: Arc<Tail>,
    /// The projectors' gate: no batch of this node is inserted while it is held.
    gate: Arc<Mutex<()>>,
    poll: Duration,
}

impl SharedProjection {
    /// `partitions[k]` is partition `k`'s; `tail` and `gate` are the projectors'.
    pub fn new(partitions: Vec<SharedPartition>, tail: Arc<Tail>, gate: Arc<Mutex<()>>) -> Self {
        assert!(!partitions.is_empty(), "at least one projection partition");
        SharedProjection {
            partitions,
            tail,
            gate,
            poll: Duration::from_millis(200),
        }
    }

    /// Returns once `plan`'s phase is done in every partition it touches (by this node where it
    /// holds the lease) and its entries have left this node's tail, so that they may leave the
    /// store. Failures (ClickHouse unreachable, a lease lost) are logged and the phase is tried
    /// again.
    pub async fn purge(&self, plan: &PurgePlan) -> Result<(), Error> {
        let of = self.partitions.len() as u32;
        let touched = touched(plan, of);
        let mut left = touched.clone();
        let mut waiting_logged = false;
        while !left.is_empty() {
            let mut still = Vec::new();
            let mut failed = false;
            for k in left {
                match self.partition_done(plan, k, of).await {
                    Ok(true) => {}
                    Ok(false) => still.push(k),
                    Err(e) => {
                        tracing::warn!(purge = %plan.id, partition = k, error = %e, "purge: the shared database's rows could not be removed yet; trying again");
                        failed = true;
                        still.push(k);
                    }
                }
            }
            left = still;
            if !left.is_empty() {
                if !waiting_logged {
                    tracing::info!(purge = %plan.id, partitions = ?left, "purge: waiting for the projecting node to remove the rows from the shared database");
                    waiting_logged = true;
                }
                let pause = if failed { self.poll * 5 } else { self.poll };
                tokio::time::sleep(pause).await;
            }
        }
        // The tail follows the shared checkpoint, which is past `until`: the entries leave it
        // (filtered reads would merge them back in) before they leave the store.
        for k in touched {
            while self.tail.partition_watermark(k) < plan.until {
                tokio::time::sleep(self.poll).await;
            }
        }
        Ok(())
    }

    /// The partition's mark.
    async fn marked(&self, k: u32) -> Result<u64, Error> {
        let read = self.partitions[k as usize].mark.read().await;
        match read.map_err(Error::Unavailable)? {
            None => Ok(0),
            Some((bytes, _)) => decode_mark(&bytes).map_err(Error::Internal),
        }
    }

    /// Raises the partition's mark to `until` (never lowers it).
    async fn mark(&self, k: u32, until: u64) -> Result<(), Error> {
        let record = &self.partitions[k as usize].mark;
        for _ in 0..16 {
            let written = match record.read().await.map_err(Error::Unavailable)? {
                None => record.create(encode_mark(until)).await,
                Some((bytes, revision)) => {
                    if decode_mark(&bytes).map_err(Error::Internal)? >= until {
                        return Ok(());
                    }
                    record.update(encode_mark(until), revision).await
                }
            };
            match written {
                Ok(_) => return Ok(()),
                Err(CasError::Conflict) => continue,
                Err(e) => return Err(Error::Unavailable(e.to_string())),
            }
        }
        Err(Error::Unavailable(
            "the purge mark keeps changing (too many concurrent writes)".into(),
        ))
    }

    /// Whether `plan`'s phase is done in partition `k`: already (its mark), or now, by this node
    /// if it holds the lease and its projector has passed the plan. `false`: not yet.
    async fn partition_done(&self, plan: &PurgePlan, k: u32, of: u32) -> Result<bool, Error> {
        if self.marked(k).await? >= plan.until {
            return Ok(true);
        }
        let p = &self.partitions[k as usize];
        let Some(term) = p.keeper.ready() else {
            return Ok(false);
        };
        if p.keeper.role().borrow().checkpoint() < plan.until {
            return Ok(false);
        }
        let part = in_partition(plan, k, of);
        let started = std::time::Instant::now();
        p.projection.purge_rows(&part).await?;
        {
            let _no_batch = self.gate.lock().await;
            let keeper = p.keeper.clone();
            let window = move || keeper.window_in(term).ok();
            p.projection.purge_aggregates_within(&part, &window).await?;
            let links = links(&part);
            if !links.is_empty() {
                let limit = p.keeper.window_in(term)?;
                tokio::time::timeout(limit, p.projection.link_personas(&links))
                    .await
                    .map_err(|_| {
                        Error::Unavailable(
                            "a purge's persona links outlasted the projection lease's margin"
                                .into(),
                        )
                    })??;
            }
            // Every write above ended while this node held the lease without a break.
            p.keeper.window_in(term)?;
            self.mark(k, plan.until).await?;
        }
        tracing::info!(purge = %plan.id, partition = k, seconds = started.elapsed().as_secs_f64(), "purge: rows removed from the shared database and aggregates rebuilt");
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::purge::{PurgeReason, PurgeScope, Unvoid};

    /// Two stores in different partitions of 4.
    fn two_stores() -> (StoreId, StoreId) {
        let mut ids = (1..).map(|n| StoreId(uuid::Uuid::from_u128(n)));
        let a = ids.next().unwrap();
        let b = ids
            .find(|s| partition_of(*s, 4) != partition_of(a, 4))
            .unwrap();
        (a, b)
    }

    fn persona(store: StoreId) -> crate::personas::PersonaEvent {
        crate::personas::PersonaEvent {
            store,
            at_us: 1,
            change: crate::personas::PersonaChange::Created {
                id: uuid::Uuid::from_u128(9),
                name: "p".into(),
                attributes: Default::default(),
                identifiers: vec!["mbox:mailto:kept@example.com".into()],
            },
        }
    }

    fn plan(a: StoreId, b: StoreId) -> PurgePlan {
        let mut p = PurgePlan::new(
            PurgeReason::Erasure,
            "admin",
            PurgeScope::Entries { stores: vec![a, b] },
        );
        p.seqs = vec![3, 4, 7, 8];
        p.hours = vec![(a, 3600), (b, 7200)];
        p.unvoid = vec![
            Unvoid {
                store: a,
                id: uuid::Uuid::from_u128(1),
                seq: 2,
            },
            Unvoid {
                store: b,
                id: uuid::Uuid::from_u128(2),
                seq: 5,
            },
        ];
        p.persona_rewrites = vec![(4, persona(a)), (8, persona(b))];
        p.until = 10;
        p
    }

    #[test]
    fn a_partition_does_its_own_stores_and_every_removed_entry() {
        let (a, b) = two_stores();
        let p = plan(a, b);
        let (ka, kb) = (partition_of(a, 4), partition_of(b, 4));
        let mut both = vec![ka, kb];
        both.sort_unstable();
        assert_eq!(touched(&p, 4), both);
        assert_eq!(touched(&p, 1), vec![0]);
        let of_a = in_partition(&p, ka, 4);
        // b's rewritten persona entry is b's holder's to write again, so not deleted by a's.
        assert_eq!(of_a.seqs, vec![3, 4, 7]);
        assert_eq!(of_a.hours, vec![(a, 3600)]);
        assert_eq!(of_a.unvoid.len(), 1);
        assert_eq!(of_a.unvoid[0].store, a);
        assert_eq!(of_a.persona_rewrites.len(), 1);
        assert_eq!(links(&of_a).len(), 1);
        assert_eq!(links(&of_a)[0].seq, 4);
        assert_eq!(of_a.scope, PurgeScope::Entries { stores: vec![a] });
        assert_eq!(of_a.until, 10);
        // One partition: the whole plan.
        assert_eq!(in_partition(&p, 0, 1), p);
        let store = PurgePlan::new(PurgeReason::StoreDeletion, "admin", PurgeScope::Store(b));
        assert_eq!(touched(&store, 4), vec![kb]);
        assert_eq!(in_partition(&store, kb, 4).scope, PurgeScope::Store(b));
    }

    #[test]
    fn marks_are_big_endian_positions() {
        assert_eq!(encode_mark(258), vec![0, 0, 0, 0, 0, 0, 1, 2]);
        assert_eq!(decode_mark(&encode_mark(u64::MAX)), Ok(u64::MAX));
        assert!(decode_mark(&[1, 2]).is_err());
        assert_eq!(mark_key(0, 1), "purged.all");
        assert_eq!(mark_key(2, 4), "purged.p2-of-4");
    }
}
