//! The projector: tails the log and writes statements into the analytics projection in batches
//! (by size and by time), with the statements each batch voids ([`crate::voiding`], looked up in
//! the log's id and voided indexes), then advances the checkpoint and trims the in-memory tail.
//! On start it discards projected rows beyond its durable checkpoint, so a crash between an
//! insert and its checkpoint never leaves a second row: projection is exactly-once.
//!
//! With a projection lease ([`Projector::with_lease`], cluster nodes sharing one database) the
//! checkpoint is the lease's and only its holder writes ([`shared`]).
use crate::degraded::ProjectionStatus;
use crate::event::{Event, StatementRecord};
use crate::ports::{LogStore, PersonaLink, Projection, ProjectionError};
use crate::projection_lease::keeper::Keeper;
use crate::tail::{Tail, TailBatch};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

mod recovery;
mod shared;

pub const CHECKPOINT_KEY: &str = "projection.checkpoint";

#[derive(Debug, Clone)]
pub struct ProjectorConfig {
    /// Largest number of statements in one insert.
    pub batch_max: usize,
    /// A batch this large is projected at once; a smaller one waits up to `batch_linger` for
    /// more (ClickHouse 18.16 spends far less per statement on larger inserts).
    pub batch_min: usize,
    /// How long to wait for a batch to fill once something is waiting.
    pub batch_linger: Duration,
    /// Pause after a failed insert before retrying.
    pub retry_backoff: Duration,
    /// At start-up, unprojected statements beyond this many are projected before serving
    /// instead of being held in the in-memory tail (bounds memory after a long outage).
    pub recover_tail_max: usize,
}

impl Default for ProjectorConfig {
    fn default() -> Self {
        ProjectorConfig {
            batch_max: 40_000,
            batch_min: 5_000,
            batch_linger: Duration::from_millis(50),
            retry_backoff: Duration::from_secs(1),
            recover_tail_max: 100_000,
        }
    }
}

pub struct Projector {
    log: Arc<dyn LogStore>,
    projection: Arc<dyn Projection>,
    tail: Arc<Tail>,
    config: ProjectorConfig,
    progress: Option<tokio::sync::broadcast::Sender<Progress>>,
    status: Arc<ProjectionStatus>,
    /// Held around each batch; a purge holds it while it rebuilds aggregates.
    gate: Arc<tokio::sync::Mutex<()>>,
    /// Cluster nodes sharing one database: the lease that says which node projects.
    lease: Option<Arc<Keeper>>,
    /// The projection partition this projector writes (`partition` of `partitions`): only its
    /// stores' statements and persona changes (one partition, the default: everything).
    partition: u32,
    partitions: u32,
}

/// Published after each projected batch: the new checkpoint and the stores whose statements or
/// personas the batch projected (live dashboards refresh on it).
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub seq: u64,
    pub stores: Arc<Vec<crate::ids::StoreId>>,
}

/// A channel of [`Progress`] for the projector to publish on (readers that fall behind skip
/// to the latest).
pub fn progress_channel() -> tokio::sync::broadcast::Sender<Progress> {
    tokio::sync::broadcast::channel(256).0
}

pub fn read_checkpoint(log: &dyn LogStore) -> Result<u64, crate::ports::StoreError> {
    Ok(log
        .meta_get(CHECKPOINT_KEY)?
        .and_then(|v| v.try_into().ok())
        .map(u64::from_be_bytes)
        .unwrap_or(0))
}

impl Projector {
    pub fn new(
        log: Arc<dyn LogStore>,
        projection: Arc<dyn Projection>,
        tail: Arc<Tail>,
        config: ProjectorConfig,
    ) -> Self {
        Projector {
            log,
            projection,
            tail,
            config,
            progress: None,
            status: Arc::new(ProjectionStatus::default()),
            gate: Arc::default(),
            lease: None,
            partition: 0,
            partitions: 1,
        }
    }

    /// Projects only partition `k` of `of` (`projection_partitions`): the projection must be
    /// scoped to the same partition, and the lease must be that partition's.
    pub fn in_partition(mut self, k: u32, of: u32) -> Self {
        assert!(of >= 1 && k < of, "partition {k} of {of}");
        self.partition = k;
        self.partitions = of;
        self
    }

    /// Whether `store`'s events are this projector's to write.
    fn mine(&self, store: crate::ids::StoreId) -> bool {
        self.partitions == 1
            || crate::projection_lease::partition::partition_of(store, self.partitions)
                == self.partition
    }

    /// Projects into a database shared with other nodes: only while `lease` is held, from
    /// its checkpoint, each write bounded by its margin ([`shared`]).
    pub fn with_lease(mut self, lease: Arc<Keeper>) -> Self {
        self.lease = Some(lease);
        self
    }

    /// Shares the lock a purge takes so that no batch is inserted while it rebuilds the
    /// aggregates ([`crate::purge::run::Purger`]).
    pub fn with_gate(mut self, gate: Arc<tokio::sync::Mutex<()>>) -> Self {
        self.gate = gate;
        self
    }

    /// Publishes each projected batch on `tx`.
    pub fn with_progress(mut self, tx: tokio::sync::broadcast::Sender<Progress>) -> Self {
        self.progress = Some(tx);
        self
    }

    /// Shares what the projector learns about the projection's reachability (statement reads
    /// skip an unreachable projection).
    pub fn with_status(mut self, status: Arc<ProjectionStatus>) -> Self {
        self.status = status;
        self
    }

    /// Runs `f` on the embedded store off the async workers (its calls block on disk).
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn LogStore) -> Result<T, crate::ports::StoreError> + Send + 'static,
    ) -> Result<T, crate::Error> {
        let log = self.log.clone();
        tokio::task::spawn_blocking(move || f(&*log))
            .await
            .map_err(|e| crate::Error::Internal(e.to_string()))?
            .map_err(crate::Error::from)
    }

    /// Makes the projection current: migrations, then the rows past the checkpoint removed
    /// (a crash or a failed insert may have left some).
    async fn prepare(&self, checkpoint: u64) -> Result<(), ProjectionError> {
        self.projection.migrate().await?;
        // A write that this node abandoned, or that a node which has since died sent, may still
        // be running on the server: stopped first, it cannot land after the clean-up below.
        self.projection.fence().await?;
        self.projection.discard_after(checkpoint).await
    }

    /// Projects the next batch after `after`, read from the log; returns the new checkpoint.
    async fn project_once(&self, after: u64) -> Result<u64, crate::Error> {
        let started = std::time::Instant::now();
        let batch_max = self.config.batch_max;
        let events = self
            .blocking(move |log| log.events_after(after, batch_max))
            .await?;
        let Some((last, _)) = events.last() else {
            return Ok(after);
        };
        let last = *last;
        let mut rows: Vec<(u64, Arc<StatementRecord>)> = Vec::with_capacity(events.len());
        let mut personas = Vec::new();
        for (seq, e) in events {
            match e {
                Event::Statement(r) if self.mine(r.store) => rows.push((seq, r)),
                Event::Persona(p) if self.mine(p.store) => personas.push((seq, p)),
                // Another partition's: its own projector writes it.
                Event::Statement(_) | Event::Persona(_) => {}
                // Documents and the tenancy are never projected; the checkpoint moves past them.
                Event::Document(_)
                | Event::Tenancy(_)
                | Event::Dashboard(_)
                | Event::Forwarder(_)
                | Event::Purge(_)
                | Event::Audit(_) => {}
            }
        }
        self.project(
            TailBatch {
                statements: rows,
                personas,
                last,
            },
            started,
        )
        .await
    }

    /// Projects the next batch after `after` up to the committed `head`, taken from the tail
    /// when it holds them (always, once recovered), else read from the log.
    async fn project_next(&self, after: u64, head: u64) -> Result<u64, crate::Error> {
        match self
            .tail
            .batch(self.partition, after, head, self.config.batch_max)
        {
            Some(batch) => self.project(batch, std::time::Instant::now()).await,
            None => self.project_once(after).await,
        }
    }

    #[tracing::instrument(name = "projector batch", skip_all, fields(statements = batch.statements.len(), last = batch.last))]
    async fn project(
        &self,
        batch: TailBatch,
        started: std::time::Instant,
    ) -> Result<u64, crate::Error> {
        let _no_purge = self.gate.lock().await;
        let TailBatch {
            statements: rows,
            personas,
            last,
        } = batch;
        let mut stores: Vec<crate::ids::StoreId> = rows
            .iter()
            .map(|(_, r)| r.store)
            .chain(personas.iter().map(|(_, p)| p.store))
            .collect();
        stores.sort();
        stores.dedup();
        let links: Vec<PersonaLink> = personas
            .iter()
            .flat_map(|(seq, p)| {
                p.change
                    .links()
                    .into_iter()
                    .map(|(ifi, persona)| PersonaLink {
                        seq: *seq,
                        store: p.store,
                        ifi: ifi.to_string(),
                        persona,
                    })
            })
            .collect();
        let (rows, retractions) = if rows.is_empty() {
            (rows, Vec::new())
        } else {
            self.blocking(move |log| {
                let retractions = crate::voiding::retractions(
                    &rows,
                    |store, id| log.statement_seq(store, id),
                    |store, id| log.voided_by(store, id),
                )?;
                Ok((rows, retractions))
            })
            .await?
        };
        let read = started.elapsed();
        let writes = async {
            if !links.is_empty() {
                self.projection.link_personas(&links).await?;
            }
            if !rows.is_empty() {
                self.projection.insert(&rows, &retractions).await?;
            }
            Ok::<(), ProjectionError>(())
        };
        match &self.lease {
            // Only the lease's holder writes, and each write ends within the lease's margin.
            Some(lease) => {
                let written = async {
                    tokio::time::timeout(lease.window()?, writes)
                        .await
                        .map_err(|_| {
                            crate::Error::Unavailable(
                                "a ClickHouse write outlasted the projection lease's margin".into(),
                            )
                        })??;
                    lease.advance(last).await
                }
                .await;
                if written.is_err() {
                    // The write may land later: no purge writes before the next clean-up
                    // (still under the gate here).
                    lease.prepared(None);
                }
                written?;
            }
            None => {
                writes.await?;
                self.blocking(move |log| log.meta_put(CHECKPOINT_KEY, &last.to_be_bytes()))
                    .await?
            }
        }
        tracing::debug!(
            statements = rows.len(),
            read_ms = read.as_millis() as u64,
            insert_ms = (started.elapsed() - read).as_millis() as u64,
            "projected a batch"
        );
        self.tail.advance_partition(self.partition, last);
        if let Some(tx) = &self.progress
            && !stores.is_empty()
        {
            let _ = tx.send(Progress {
                seq: last,
                stores: Arc::new(stores),
            });
        }
        Ok(last)
    }

    /// Runs until `shutdown` flips to true, following `committed` notifications. While the
    /// projection cannot be reached it retries every `retry_backoff`; once it answers again
    /// the migrations and the clean-up past the checkpoint run before the next insert.
    pub async fn run(
        self,
        mut committed: watch::Receiver<u64>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        if let Some(lease) = self.lease.clone() {
            return self.run_shared(lease, committed, shutdown).await;
        }
        let mut checkpoint = match self.blocking(read_checkpoint).await {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "projector cannot read its checkpoint");
                return;
            }
        };
        let mut outage = Outage::default();
        loop {
            if *shutdown.borrow() {
                return;
            }
            if !self.status.is_up() {
                match self.prepare(checkpoint).await {
                    Ok(()) => {
                        self.status.set_up();
                        outage.over();
                    }
                    Err(e) => {
                        outage.failed(&e.to_string());
                        self.pause(&mut shutdown).await;
                        continue;
                    }
                }
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
                        if matches!(&e, crate::Error::Unavailable(_)) {
                            // Unreachable: probe with migrations and clean-up before inserting again.
                            self.status.set_down();
                        }
                        outage.failed(&e.to_string());
                        self.pause(&mut shutdown).await;
                    }
                }
                continue;
            }
            tokio::select! {
                r = committed.changed() => if r.is_err() { return },
                _ = shutdown.changed() => {}
                // A read found the projection unreachable: probe it until it answers.
                _ = self.status.went_down() => {}
            }
        }
    }

    /// Waits until `batch_min` statements past `checkpoint` are committed or the linger is
    /// over, whichever comes first; answers the log's head then.
    async fn linger(&self, checkpoint: u64, committed: &mut watch::Receiver<u64>) -> u64 {
        let until = tokio::time::Instant::now() + self.config.batch_linger;
        let enough = checkpoint + self.config.batch_min as u64;
        let filled = committed.wait_for(|h| *h >= enough);
        let _ = tokio::time::timeout_at(until, filled).await;
        *committed.borrow_and_update()
    }

    async fn pause(&self, shutdown: &mut watch::Receiver<bool>) {
        tokio::select! {
            _ = tokio::time::sleep(self.config.retry_backoff) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Logs an outage once when it starts and once when it ends, not on every retry.
#[derive(Default)]
struct Outage {
    failures: u64,
}

impl Outage {
    fn failed(&mut self, error: &str) {
        if self.failures == 0 {
            tracing::warn!(%error, "projection failed; retrying until ClickHouse answers");
        } else {
            tracing::debug!(%error, attempt = self.failures + 1, "projection still failing");
        }
        self.failures += 1;
    }

    fn over(&mut self) {
        if self.failures > 0 {
            tracing::info!(
                failed_attempts = self.failures,
                "ClickHouse answers again; projecting the backlog"
            );
        }
        self.failures = 0;
    }
}
