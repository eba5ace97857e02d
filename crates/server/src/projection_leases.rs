//! With `projection_shared`: the projection leases of this run of this node, one per projection
//! partition (`projection_partitions`), in the JetStream key-value bucket beside the log. A node
//! first agrees with the cluster on the number of partitions (the `partitions` record;
//! [`cairn_core::projection_lease::partition::agree`]): it refuses to start with another number
//! while a node may still project with it.
use cairn_core::projection_lease::keeper::Keeper;
use cairn_core::projection_lease::partition::{Agreement, PARTITIONS_KEY, agree, lease_key};
use cairn_core::projection_lease::set::LeaseSet;
use cairn_core::projection_lease::{CasError, Lease, LeaseStore, Times};
use cairn_core::purge::shared::{SharedPartition, mark_key};
use cairn_nats::JetStreamLease;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// This node's projection leases: `keepers[k]` runs partition `k`'s.
pub struct ProjectionLeases {
    pub keepers: Vec<Arc<Keeper>>,
    /// With more than one partition: the keepers ticked together under the node's quota.
    set: Option<Arc<LeaseSet>>,
}

impl ProjectionLeases {
    pub fn partitions(&self) -> u32 {
        self.keepers.len() as u32
    }

    /// Each partition's checkpoint as the leases say now.
    pub fn checkpoints(&self) -> Vec<u64> {
        self.keepers
            .iter()
            .map(|k| k.role().borrow().checkpoint())
            .collect()
    }

    /// Keeps the leases until `shutdown` (each projector releases its own once stopped).
    pub fn spawn(
        &self,
        every: Duration,
        shutdown: watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        match &self.set {
            Some(set) => set.spawn(every, shutdown),
            None => self.keepers[0].spawn(every, shutdown),
        }
    }
}

/// With `projection_shared`: each partition's lease keeper, projection (`scoped[k]`) and purge
/// mark, for the ClickHouse phase of purges ([`cairn_core::purge::shared`]). `None` otherwise.
pub fn purges(
    leases: Option<&ProjectionLeases>,
    bucket: Option<&JetStreamLease>,
    scoped: Vec<Arc<dyn cairn_core::ports::Projection>>,
) -> Option<Vec<SharedPartition>> {
    let (leases, bucket) = (leases?, bucket?);
    let of = leases.partitions();
    Some(
        leases
            .keepers
            .iter()
            .zip(scoped)
            .enumerate()
            .map(|(k, (keeper, projection))| SharedPartition {
                keeper: keeper.clone(),
                projection,
                mark: Arc::new(bucket.for_key(&mark_key(k as u32, of))),
            })
            .collect(),
    )
}

/// With `projection_shared`: the leases of this run `me` of this node
/// ([`crate::cluster::node_id`]), after one round, so that the roles and checkpoints are known.
/// `None` otherwise.
pub async fn start(
    cfg: &crate::config::Config,
    bucket: Option<&JetStreamLease>,
    me: &str,
) -> anyhow::Result<Option<ProjectionLeases>> {
    let Some(bucket) = bucket.filter(|_| cfg.projection_shared) else {
        return Ok(None);
    };
    let partitions = cfg.projection_partitions;
    agree_on_partitions(bucket, partitions).await?;
    // The presence record's key takes the run's random part (a key cannot hold the address).
    let run = me.rsplit('/').next().unwrap_or(me).to_owned();
    let me = me.to_owned();
    let times = Times::for_lease(cfg.projection_lease_ms);
    let keepers: Vec<Arc<Keeper>> = (0..partitions)
        .map(|k| {
            let store = bucket.for_key(&lease_key(k, partitions));
            let keeper = Keeper::new(Arc::new(store), me.clone(), times);
            Arc::new(if partitions > 1 {
                keeper.for_partition(k)
            } else {
                keeper
            })
        })
        .collect();
    let set = if partitions > 1 {
        let presence = bucket.presence(&run, &cfg.http_addr.to_string());
        let set = Arc::new(LeaseSet::new(
            keepers.clone(),
            Arc::new(presence),
            run,
            times,
        ));
        set.tick().await;
        Some(set)
    } else {
        keepers[0].tick().await;
        None
    };
    Ok(Some(ProjectionLeases { keepers, set }))
}

/// Records this node's number of partitions for the cluster, or checks it against the one
/// recorded: see [`agree`].
async fn agree_on_partitions(bucket: &JetStreamLease, mine: u32) -> anyhow::Result<()> {
    let record = bucket.for_key(PARTITIONS_KEY);
    for _ in 0..16 {
        let read = record.read().await.map_err(anyhow::Error::msg)?;
        let recorded = match &read {
            Some((bytes, _)) => cairn_core::codec::decode::<u32>(bytes)
                .map_err(|e| anyhow::anyhow!("the cluster's projection_partitions record: {e}"))?,
            None => 1,
        };
        let mut old = Vec::new();
        for k in 0..recorded {
            old.push(read_lease(&bucket.for_key(&lease_key(k, recorded))).await?);
        }
        let seed = match agree(recorded, mine, &old) {
            Agreement::Same if read.is_some() => return Ok(()),
            Agreement::Same => None,
            Agreement::Refuse(why) => anyhow::bail!(why),
            Agreement::Adopt { seed } => Some(seed),
        };
        if let Some(seed) = seed {
            // Lowering a checkpoint is always safe (its holder cleans up past it).
            for k in 0..mine {
                let lease = Lease {
                    owner: String::new(),
                    checkpoint: seed,
                };
                overwrite(&bucket.for_key(&lease_key(k, mine)), lease.encode()).await?;
            }
            tracing::info!(
                from = recorded,
                to = mine,
                seed,
                "the cluster now projects with another number of partitions"
            );
        }
        let value = cairn_core::codec::encode(&mine);
        let written = match &read {
            None => record.create(value).await,
            Some((_, revision)) => record.update(value, *revision).await,
        };
        match written {
            Ok(_) => return Ok(()),
            // Another node wrote first: read what it wrote and check again.
            Err(CasError::Conflict) => continue,
            Err(e) => anyhow::bail!(e.to_string()),
        }
    }
    anyhow::bail!("cannot agree on projection_partitions with the other nodes (too many changes)")
}

async fn read_lease(store: &JetStreamLease) -> anyhow::Result<Option<Lease>> {
    match store.read().await.map_err(anyhow::Error::msg)? {
        None => Ok(None),
        Some((bytes, _)) => Ok(Some(Lease::decode(&bytes).map_err(anyhow::Error::msg)?)),
    }
}

/// Writes `value` whatever the record holds (compare-and-set, retried on a conflict).
async fn overwrite(store: &JetStreamLease, value: Vec<u8>) -> anyhow::Result<()> {
    for _ in 0..16 {
        let written = match store.read().await.map_err(anyhow::Error::msg)? {
            None => store.create(value.clone()).await,
            Some((_, revision)) => store.update(value.clone(), revision).await,
        };
        match written {
            Ok(_) => return Ok(()),
            Err(CasError::Conflict) => continue,
            Err(e) => anyhow::bail!(e.to_string()),
        }
    }
    anyhow::bail!("cannot write a projection lease (too many concurrent changes)")
}
