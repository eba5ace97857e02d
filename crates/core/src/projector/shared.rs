//! The projector of a node that shares its ClickHouse database with the other nodes of a
//! cluster ([`crate::projection_lease`]).
//!
//! - *Stand-by* (another node holds the lease): nothing is written. The tail is trimmed up to
//!   the shared checkpoint (as far as this node's log has reached it), so that filtered reads
//!   merge exactly what the database lacks, and the back-pressure and lag figures, which count
//!   the tail, follow the shared checkpoint.
//! - *Holder*: at the start of each term (a take-over, or after a failed write) the migrations
//!   run and the rows past the shared checkpoint are deleted, as a single node does at start;
//!   then batches are projected as usual, each write bounded by the lease's margin and each
//!   checkpoint advanced on the lease by compare-and-set. The clean-up runs under the purge
//!   gate and tells the keeper when it is done ([`Keeper::prepared`]): only then may a purge of
//!   this node rebuild the partition's aggregates ([`crate::purge::shared`]), and a hand-back
//!   or a release waits for the gate, so a purge's writes are between writes too.
use super::{Outage, Projector};
use crate::projection_lease::keeper::{Keeper, Role};
use std::sync::Arc;
use tokio::sync::watch;

impl Projector {
    pub(super) async fn run_shared(
        self,
        lease: Arc<Keeper>,
        mut committed: watch::Receiver<u64>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut role = lease.role();
        // The term whose clean-up is done; the checkpoint projected up to in it.
        let mut prepared: Option<u64> = None;
        let mut checkpoint = 0;
        let mut outage = Outage::default();
        while !*shutdown.borrow() {
            let now = *role.borrow_and_update();
            let term = match now {
                Role::Standby { checkpoint: shared } => {
                    prepared = None;
                    self.stand_by(shared, &mut role, &mut committed, &mut shutdown)
                        .await;
                    continue;
                }
                Role::Holder { release: true, .. } => {
                    // Over this node's quota (a node joined): between writes (a purge's
                    // included: under the gate), so nothing of this node's can reach the
                    // partition any more; another node takes it at once.
                    let handed = {
                        let _no_write = self.gate.lock().await;
                        lease.prepared(None);
                        lease.hand_back().await
                    };
                    if !handed {
                        self.pause(&mut shutdown).await;
                    }
                    prepared = None;
                    continue;
                }
                Role::Holder { term, .. } => term,
            };
            if prepared != Some(term) {
                checkpoint = now.checkpoint();
                // Under the gate: a purge of this node writes either before the clean-up or
                // after it, never during it.
                let cleaned = {
                    let _no_purge = self.gate.lock().await;
                    lease.prepared(None);
                    let cleaned = match lease.window() {
                        Ok(_) => self.prepare(checkpoint).await.map_err(crate::Error::from),
                        Err(e) => Err(e),
                    };
                    if cleaned.is_ok() {
                        // A purge of this node may now rebuild this partition's aggregates.
                        lease.prepared(Some(term));
                    }
                    cleaned
                };
                match cleaned {
                    Ok(()) => {
                        prepared = Some(term);
                        self.status.set_up();
                        outage.over();
                        let head = *committed.borrow();
                        self.tail
                            .advance_partition(self.partition, checkpoint.min(head));
                    }
                    Err(e) => {
                        outage.failed(&e.to_string());
                        self.pause(&mut shutdown).await;
                    }
                }
                continue;
            }
            let mut head = *committed.borrow_and_update();
            if head > checkpoint {
                if head - checkpoint < self.config.batch_min as u64 {
                    head = self.linger(checkpoint, &mut committed).await;
                }
                match self.project_next(checkpoint, head).await {
                    Ok(c) => {
                        checkpoint = c;
                        outage.over();
                    }
                    Err(e) => {
                        // The write may have landed without its checkpoint (a timeout, a lost
                        // lease): clean up from the lease's checkpoint before writing again.
                        prepared = None;
                        if lease.window().is_ok() && matches!(&e, crate::Error::Unavailable(_)) {
                            self.status.set_down();
                        }
                        outage.failed(&e.to_string());
                        self.pause(&mut shutdown).await;
                    }
                }
                continue;
            }
            tokio::select! {
                r = committed.changed() => if r.is_err() { break },
                _ = role.changed() => {}
                _ = shutdown.changed() => {}
            }
        }
        // Stopped between batches, and between a purge's writes (the gate): nothing of this
        // node's can reach ClickHouse any more.
        let _no_write = self.gate.lock().await;
        lease.prepared(None);
        lease.release().await;
    }

    /// One stand-by round: trims the tail up to the shared checkpoint, probes the database
    /// for the reads while it is believed down, and waits for something to change.
    async fn stand_by(
        &self,
        shared: u64,
        role: &mut watch::Receiver<Role>,
        committed: &mut watch::Receiver<u64>,
        shutdown: &mut watch::Receiver<bool>,
    ) {
        let head = *committed.borrow_and_update();
        let upto = shared.min(head);
        if upto > self.tail.partition_watermark(self.partition) {
            let stores = self.tail.advance_partition_stores(self.partition, upto);
            // Live dashboards on this node refresh as the holder projects.
            if let Some(tx) = &self.progress
                && !stores.is_empty()
            {
                let _ = tx.send(super::Progress {
                    seq: upto,
                    stores: Arc::new(stores),
                });
            }
        }
        let down = !self.status.is_up();
        if down && self.projection.ping().await.is_ok() {
            self.status.set_up();
        }
        // This node's own commits matter only while its log is behind the shared checkpoint.
        let behind = head < shared;
        tokio::select! {
            _ = role.changed() => {}
            _ = committed.changed(), if behind => {}
            _ = shutdown.changed() => {}
            _ = tokio::time::sleep(self.config.retry_backoff), if down => {}
        }
    }
}
