//! The lease keeper: reads the lease record on a timer, acts on [`super::decide`] (create, take
//! over, renew) and publishes this node's [`Role`] for the projector (or, for the forwarding
//! lease, the forwarding hub). The projector asks it
//! for a write window before each write into ClickHouse ([`Keeper::window`]) and advances the
//! shared checkpoint through it ([`Keeper::advance`]), a compare-and-set that fails once
//! another node has taken the lease.
use super::partition::{PartitionAction, decide_within_quota};
use super::{Action, CasError, Kind, Lease, LeaseStore, Observed, Times, decide};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, watch};

/// This node's part in the projection, as far as the lease goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Another node projects (or nobody yet): the shared database holds the log up to
    /// `checkpoint`.
    Standby { checkpoint: u64 },
    /// This node projects, from `checkpoint`. `term` grows each time this node starts holding
    /// the lease (after a take-over or a lapse): the projector cleans the database past the
    /// checkpoint before its first write of a term. `release`: the node holds more leases than
    /// its quota (a node joined), so the projector hands this one back ([`Keeper::release`])
    /// before its next write.
    Holder {
        checkpoint: u64,
        term: u64,
        release: bool,
    },
}

impl Role {
    pub fn checkpoint(&self) -> u64 {
        match *self {
            Role::Standby { checkpoint } | Role::Holder { checkpoint, .. } => checkpoint,
        }
    }
}

struct Inner {
    observed: Option<Observed>,
    holding: bool,
    term: u64,
    /// Held over the quota: to be handed back once the projector is between writes.
    release: bool,
    /// Released (a clean stop): this keeper takes the lease no more.
    released: bool,
}

/// Runs one lease for one node.
pub struct Keeper {
    store: Arc<dyn LeaseStore>,
    me: String,
    times: Times,
    kind: Kind,
    epoch: Instant,
    inner: Mutex<Inner>,
    role: watch::Sender<Role>,
    /// Until when (ms on `epoch`) the holder may start a write; 0 when not holding.
    until: std::sync::atomic::AtomicU64,
    /// The projection partition whose lease this is (the metrics' label), if partitioned.
    partition: Option<u32>,
    /// The term whose clean-up the projector has done (0: none, or a write of it failed since):
    /// a purge writes into the shared database only in such a term ([`Keeper::ready`]).
    prepared: std::sync::atomic::AtomicU64,
}

impl Keeper {
    /// A keeper for node `me` (unique per run: a node started again must not inherit its
    /// previous run's lease without cleaning up after it).
    pub fn new(store: Arc<dyn LeaseStore>, me: String, times: Times) -> Self {
        Self::of_kind(store, me, times, Kind::PROJECTION)
    }

    /// A keeper of the lease `kind` (its record is `store`).
    pub fn of_kind(store: Arc<dyn LeaseStore>, me: String, times: Times, kind: Kind) -> Self {
        Keeper {
            store,
            me,
            times,
            kind,
            epoch: Instant::now(),
            inner: Mutex::new(Inner {
                observed: None,
                holding: false,
                term: 0,
                release: false,
                released: false,
            }),
            role: watch::channel(Role::Standby { checkpoint: 0 }).0,
            until: Default::default(),
            partition: None,
            prepared: Default::default(),
        }
    }

    /// This keeper runs partition `k`'s lease (`projection_partitions`; its metrics say so).
    pub fn for_partition(mut self, k: u32) -> Self {
        self.partition = Some(k);
        self
    }

    fn now(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    pub fn times(&self) -> Times {
        self.times
    }

    /// This node's id for this run.
    pub fn me(&self) -> &str {
        &self.me
    }

    /// Whether this node holds the lease and may start work under it now.
    pub fn holding(&self) -> bool {
        self.window().is_ok()
    }

    /// This node's role; `changed()` on it wakes at each change.
    pub fn role(&self) -> watch::Receiver<Role> {
        self.role.subscribe()
    }

    /// Reads the record (a new revision starts this node's clock on it).
    async fn refresh(&self, g: &mut Inner) -> Result<(), String> {
        let now = self.now();
        match self.store.read().await? {
            None => g.observed = None,
            Some((bytes, revision)) => {
                if g.observed.as_ref().map(|o| o.revision) != Some(revision) {
                    g.observed = Some(Observed {
                        lease: Lease::decode(&bytes)?,
                        revision,
                        since: now,
                        written: false,
                    });
                }
            }
        }
        Ok(())
    }

    /// Writes `lease` by compare-and-set on the observed revision (create when none).
    async fn write(&self, g: &mut Inner, lease: Lease) -> Result<(), CasError> {
        let sent = self.now();
        let written = match &g.observed {
            None => self.store.create(lease.encode()).await,
            Some(o) => self.store.update(lease.encode(), o.revision).await,
        };
        match written {
            Ok(revision) => {
                g.observed = Some(Observed {
                    lease,
                    revision,
                    since: sent,
                    written: true,
                });
                Ok(())
            }
            Err(CasError::Conflict) => {
                // Someone else wrote first: learn what they wrote.
                let _ = self.refresh(g).await;
                Err(CasError::Conflict)
            }
            Err(e) => Err(e),
        }
    }

    /// Publishes the role that the observed record gives this node now.
    fn publish(&self, g: &mut Inner) {
        let now = self.now();
        let until = match &g.observed {
            Some(o) if o.lease.owner == self.me && o.written => {
                Some(self.times.write_until(o.since)).filter(|u| now < *u)
            }
            _ => None,
        };
        let holding = until.is_some();
        if holding && !g.holding {
            g.term += 1;
            metrics::counter!(self.kind.acquired_counter).increment(1);
            tracing::info!(node = %self.me, term = g.term, lease = self.kind.key, "this node now {} (lease held)", self.kind.work);
        } else if !holding && g.holding {
            tracing::warn!(node = %self.me, lease = self.kind.key, "this node no longer holds the lease");
        }
        g.holding = holding;
        g.release &= holding;
        let held = if holding { 1.0 } else { 0.0 };
        match self.partition {
            None => metrics::gauge!(self.kind.held_gauge).set(held),
            Some(k) => {
                metrics::gauge!(self.kind.held_gauge, "partition" => k.to_string()).set(held)
            }
        }
        self.until
            .store(until.unwrap_or(0), std::sync::atomic::Ordering::SeqCst);
        let checkpoint = g.observed.as_ref().map_or(0, |o| o.lease.checkpoint);
        let role = if holding {
            Role::Holder {
                checkpoint,
                term: g.term,
                release: g.release,
            }
        } else {
            Role::Standby { checkpoint }
        };
        self.role.send_if_modified(|r| {
            let changed = *r != role;
            *r = role;
            changed
        });
    }

    /// One round: read the record, act on [`decide`], publish the role.
    pub async fn tick(&self) {
        self.tick_within(0, 1).await;
    }

    /// One round of one partition's lease, for a node that keeps `held` leases of earlier
    /// partitions under a quota of `quota` ([`super::partition::decide_within_quota`]): it
    /// creates or takes this lease only below its quota. A lease held over the quota is still
    /// renewed, and its role asks the projector to release it ([`Role::Holder`]'s `release`):
    /// the release must wait until the projector is between writes. Answers whether this node
    /// now holds the lease.
    pub async fn tick_within(&self, held: u32, quota: u32) -> bool {
        let mut g = self.inner.lock().await;
        if g.released {
            return false;
        }
        if let Err(e) = self.refresh(&mut g).await {
            tracing::debug!(error = %e, lease = self.kind.key, "cannot read the lease");
        } else {
            let now = self.now();
            let action = decide(now, g.observed.as_ref(), &self.me, &self.times);
            let within = decide_within_quota(action.clone(), held, quota);
            g.release = matches!(within, PartitionAction::Release { .. });
            let lease = match (within, action) {
                (PartitionAction::Leave { .. }, _) => None,
                (_, Action::Create) => Some(0),
                (_, Action::Take { checkpoint } | Action::Renew { checkpoint, .. }) => {
                    Some(checkpoint)
                }
                (_, Action::Hold { .. } | Action::Wait { .. }) => None,
            };
            if let Some(checkpoint) = lease {
                let lease = Lease {
                    owner: self.me.clone(),
                    checkpoint,
                };
                if let Err(e @ CasError::Unavailable(_)) = self.write(&mut g, lease).await {
                    tracing::debug!(error = %e, lease = self.kind.key, "cannot write the lease");
                }
            }
        }
        self.publish(&mut g);
        g.holding
    }

    /// How long the next write into ClickHouse may take, when this node may start one now
    /// (it holds the lease and more than the margin of it remains).
    pub fn window(&self) -> Result<Duration, crate::Error> {
        let until = self.until.load(std::sync::atomic::Ordering::SeqCst);
        if self.now() < until {
            Ok(self.times.write_timeout())
        } else {
            Err(lost(self.kind))
        }
    }

    /// The projector has cleaned up the database at the start of `term` (`Some`), or a write of
    /// its failed, which the next clean-up repairs (`None`). Called under the purge gate when a
    /// write fails, so that no purge writes between the failure and the clean-up.
    pub fn prepared(&self, term: Option<u64>) {
        self.prepared
            .store(term.unwrap_or(0), std::sync::atomic::Ordering::SeqCst);
    }

    /// The term in which this node may write into the shared database besides the projector's
    /// batches (a purge's rebuild): it holds the lease, is not asked to hand it back, may start
    /// a write now, and its projector has cleaned up in this term (so no write of an earlier
    /// holder can still land).
    pub fn ready(&self) -> Option<u64> {
        match *self.role.borrow() {
            Role::Holder {
                term,
                release: false,
                ..
            } if self.prepared.load(std::sync::atomic::Ordering::SeqCst) == term
                && self.window().is_ok() =>
            {
                Some(term)
            }
            _ => None,
        }
    }

    /// [`Keeper::window`] while this node is still [`Keeper::ready`] in `term` (held without a
    /// break since then).
    pub fn window_in(&self, term: u64) -> Result<Duration, crate::Error> {
        if self.ready() == Some(term) {
            self.window()
        } else {
            Err(lost(self.kind))
        }
    }

    /// Records `checkpoint` as the shared checkpoint (this node projected up to it), by
    /// compare-and-set: fails when this node no longer holds the lease.
    pub async fn advance(&self, checkpoint: u64) -> Result<(), crate::Error> {
        let mut g = self.inner.lock().await;
        self.window()?;
        let lease = Lease {
            owner: self.me.clone(),
            checkpoint,
        };
        let written = self.write(&mut g, lease).await;
        self.publish(&mut g);
        match written {
            Ok(()) => Ok(()),
            Err(CasError::Conflict) => Err(lost(self.kind)),
            Err(e) => Err(crate::Error::Internal(e.to_string())),
        }
    }

    /// Hands the lease back (a clean shutdown), so that another node takes it without waiting
    /// for it to expire; this keeper takes it no more. The projector calls it once it has
    /// stopped: no write of this node can then still reach ClickHouse. Answers whether this node
    /// no longer holds the lease.
    pub async fn release(&self) -> bool {
        self.give_up(true).await
    }

    /// Hands the lease back because this node holds more than its quota of partitions (a node
    /// joined): as [`Keeper::release`], but the keeper may take it again once its quota grows.
    /// The projector calls it between two writes.
    pub async fn hand_back(&self) -> bool {
        self.give_up(false).await
    }

    async fn give_up(&self, for_good: bool) -> bool {
        let mut g = self.inner.lock().await;
        g.released |= for_good;
        if g.holding
            && let Some(o) = g.observed.clone()
        {
            let lease = Lease {
                owner: String::new(),
                checkpoint: o.lease.checkpoint,
            };
            let _ = self.write(&mut g, lease).await;
            self.publish(&mut g);
        }
        !g.holding
    }

    /// Ticks every `every` until `shutdown` (the projector releases the lease once stopped).
    pub fn spawn(
        self: &Arc<Self>,
        every: Duration,
        shutdown: watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        let keeper = self.clone();
        super::every(every, shutdown, move || {
            let keeper = keeper.clone();
            async move { keeper.tick().await }
        })
    }
}

fn lost(kind: Kind) -> crate::Error {
    let what = if kind == Kind::PROJECTION {
        "projection"
    } else {
        kind.key
    };
    crate::Error::Unavailable(format!("this node does not hold the {what} lease"))
}
