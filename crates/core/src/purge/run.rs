//! Running a purge through its phases (see the module doc of [`crate::purge`]), one at a time,
//! and finishing one that a crash interrupted.
use super::finish::{AWAITING_KEY, Finishing, finished_key};
use super::{DECIDED_KEY, PENDING_KEY, PurgeEvent, PurgePhase, PurgePlan, PurgeScope};
use crate::error::Error;
use crate::event::StatementRecord;
use crate::ids::StoreId;
use crate::ports::{LogStore, Projection};
use crate::writer::{PurgeWrite, WriterHandle};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, watch};
use uuid::Uuid;

/// The statements-by-id cache of the statement service (purged statements are evicted).
pub type StatementCache = moka::sync::Cache<(StoreId, Uuid), (u64, Arc<StatementRecord>)>;

/// Where a purge stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Waiting for the projector to reach the purge.
    Waiting,
    /// Deleting the projected rows and rebuilding aggregates.
    Projection,
    /// Removing the entries from the embedded store.
    Removing,
    /// Rewriting the embedded store's files.
    Compacting,
    /// Cluster mode: rewriting the replicated log's messages without the removed data.
    Rewriting,
    Finished,
}

/// A purge's progress, published on [`Purger::status`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgeStatus {
    pub id: Uuid,
    pub stage: Stage,
    /// Statements the purge removes.
    pub statements: u64,
}

/// Runs purges one at a time. Cheap to share behind an `Arc`.
pub struct Purger {
    log: Arc<dyn LogStore>,
    projection: Arc<dyn Projection>,
    writer: WriterHandle,
    /// Held by the projector around each batch: the aggregates are rebuilt while no batch is
    /// being inserted, so a rebuilt hour never misses or doubles a statement.
    gate: Arc<Mutex<()>>,
    cache: Option<StatementCache>,
    /// The in-memory personas, updated when a purge rewrites persona history.
    personas: Option<Arc<crate::personas::Personas>>,
    one_at_a_time: Mutex<()>,
    /// Held while this node's [`AWAITING_KEY`] row is read and written again.
    awaiting: Mutex<()>,
    status: watch::Sender<Option<PurgeStatus>>,
    poll: Duration,
    /// Cluster mode (see [`Purger::clustered`]).
    cluster: Option<Clustered>,
}

/// How a purge runs in cluster mode.
#[derive(Clone)]
struct Clustered {
    /// The nodes share one ClickHouse database (`projection_shared`): the ClickHouse phase is
    /// done once per partition, by the lease's holder.
    shared: Option<Arc<super::shared::SharedProjection>>,
    /// The replicated log, rewritten without what the purge removes.
    log: Arc<dyn crate::replicated::ReplicatedLog>,
}

impl Purger {
    pub fn new(
        log: Arc<dyn LogStore>,
        projection: Arc<dyn Projection>,
        writer: WriterHandle,
        gate: Arc<Mutex<()>>,
    ) -> Self {
        Purger {
            log,
            projection,
            writer,
            gate,
            cache: None,
            personas: None,
            one_at_a_time: Mutex::new(()),
            awaiting: Mutex::new(()),
            status: watch::channel(None).0,
            poll: Duration::from_millis(50),
            cluster: None,
        }
    }

    /// Cluster mode: the purge's Begun message carries its plan through the replicated log and
    /// every node finishes it on its own store (see [`crate::writer`]'s `purges`); each node
    /// then rewrites the replicated log without what the purge removed ([`super::rewrite`]),
    /// removes only its own pending plan, and the node that decided the purge appends the
    /// Finished event (or, if it has not after the takeover delay, another node does: see
    /// [`super::finish`] and [`Purger::take_over`]). Retention runs this way too (the node holding the forwarding lease
    /// decides each run, see `cairn_server::archive::retention`). With `shared` (the nodes
    /// share one ClickHouse database), the shared rows are removed once per projection
    /// partition, by its lease's holder ([`super::shared`]), and every node waits for that
    /// before it removes the entries from its store.
    pub fn clustered(
        mut self,
        shared: Option<Arc<super::shared::SharedProjection>>,
        log: Arc<dyn crate::replicated::ReplicatedLog>,
    ) -> Self {
        self.cluster = Some(Clustered { shared, log });
        self
    }

    /// Whether this node runs in cluster mode (its purges go through the replicated log).
    pub fn is_clustered(&self) -> bool {
        self.cluster.is_some()
    }

    /// Cluster mode: applies what the other nodes appended before a purge is planned, so that
    /// the plan covers every statement acknowledged anywhere before it. Nothing on a single
    /// node.
    pub async fn catch_up(&self) -> Result<(), Error> {
        if self.cluster.is_some() {
            self.writer.catch_up().await?;
        }
        Ok(())
    }

    /// Evicts purged statements from the statement service's cache.
    pub fn with_cache(mut self, cache: StatementCache) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Keeps the in-memory personas equal to the stored ones after a purge.
    pub fn with_personas(mut self, personas: Arc<crate::personas::Personas>) -> Self {
        self.personas = Some(personas);
        self
    }

    /// The current or last purge's progress.
    pub fn status(&self) -> watch::Receiver<Option<PurgeStatus>> {
        self.status.subscribe()
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn LogStore) -> Result<T, crate::ports::StoreError> + Send + 'static,
    ) -> Result<T, Error> {
        let log = self.log.clone();
        tokio::task::spawn_blocking(move || f(&*log))
            .await
            .map_err(|e| Error::Internal(e.to_string()))?
            .map_err(Error::from)
    }

    /// The purge that has begun and not finished, if any.
    pub async fn pending(&self) -> Result<Option<PurgePlan>, Error> {
        let raw = self.blocking(|log| log.meta_get(PENDING_KEY)).await?;
        raw.map(|v| {
            PurgePlan::decode(&v)
                .map_err(|e| Error::Internal(format!("pending purge cannot be decoded: {e}")))
        })
        .transpose()
    }

    /// Finishes a purge a crash interrupted (call at start-up, once the projector runs).
    /// Returns the statements it removed, if there was one.
    pub async fn resume(&self) -> Result<Option<u64>, Error> {
        let _one = self.one_at_a_time.lock().await;
        match self.pending().await? {
            Some(plan) => {
                tracing::info!(purge = %plan.id, "finishing a pending purge");
                self.finish(plan, false).await.map(Some)
            }
            None => {
                // Cluster mode: this node decided a purge, finished it on its own store and
                // stopped before appending its Finished event.
                if let Some(plan) = self.decided().await? {
                    tracing::info!(purge = %plan.id, "recording the end of a purge this node decided");
                    self.append_finished(&plan).await?;
                    // The plan names the identifiers: its bytes leave the disk.
                    self.blocking(|log| log.compact_meta()).await?;
                }
                Ok(None)
            }
        }
    }

    /// Cluster mode: the purge this node decided whose Finished event it has not appended.
    async fn decided(&self) -> Result<Option<PurgePlan>, Error> {
        if self.cluster.is_none() {
            return Ok(None);
        }
        let raw = self.blocking(|log| log.meta_get(DECIDED_KEY)).await?;
        raw.filter(|v| !v.is_empty())
            .map(|v| {
                PurgePlan::decode(&v)
                    .map_err(|e| Error::Internal(format!("decided purge cannot be decoded: {e}")))
            })
            .transpose()
    }

    /// Cluster mode: appends `plan`'s Finished event, then forgets that this node decided it.
    async fn append_finished(&self, plan: &PurgePlan) -> Result<(), Error> {
        self.writer
            .purge(PurgeWrite::of(plan, PurgePhase::Finished, Vec::new()))
            .await?;
        self.blocking(|log| log.meta_put(DECIDED_KEY, &[])).await
    }

    /// Cluster mode: the Finished events this node waits for ([`AWAITING_KEY`]).
    async fn awaiting_list(&self) -> Result<Vec<PurgeEvent>, Error> {
        let raw = self.blocking(|log| log.meta_get(AWAITING_KEY)).await?;
        raw.filter(|v| !v.is_empty())
            .map(|v| {
                crate::codec::decode(&v)
                    .map_err(|e| Error::Internal(format!("awaited purges cannot be decoded: {e}")))
            })
            .transpose()
            .map(Option::unwrap_or_default)
    }

    /// Cluster mode: remembers `plan`'s Finished event (this node's part is done now), to
    /// append it after the takeover delay unless the log has it by then ([`Purger::take_over`]).
    async fn awaits(&self, plan: &PurgePlan) -> Result<(), Error> {
        let _row = self.awaiting.lock().await;
        // (A node that was down for the whole purge finds it recorded already; its plan came
        // redacted, without the identifiers the event hashes.)
        let key = finished_key(plan.id);
        if self
            .blocking(move |log| log.meta_get(&key))
            .await?
            .is_some()
        {
            return Ok(());
        }
        let mut list = self.awaiting_list().await?;
        if !list.iter().any(|e| e.id == plan.id) {
            list.push(plan.event(PurgePhase::Finished, crate::time_fmt::now_us()));
            let row = crate::codec::encode(&list);
            self.blocking(move |log| log.meta_put(AWAITING_KEY, &row))
                .await?;
        }
        Ok(())
    }

    /// Cluster mode: appends the Finished event of each purge whose part on this node was done
    /// at least `takeover` ago and whose event the log does not hold (the node that decided it
    /// did not record it: it may never come back); forgets those the log holds. The writer
    /// skips an event the log holds by then, so the purge still gets exactly one. Answers how
    /// long until the next one is due, if one is awaited.
    pub async fn take_over(&self, takeover: Duration) -> Result<Option<Duration>, Error> {
        let _row = self.awaiting.lock().await;
        let list = self.awaiting_list().await?;
        if list.is_empty() {
            return Ok(None);
        }
        let pending = self.pending().await?.map(|p| p.id);
        let now = crate::time_fmt::now_us();
        let (mut kept, mut next) = (Vec::new(), None::<Duration>);
        for e in &list {
            let key = finished_key(e.id);
            let recorded = self
                .blocking(move |log| log.meta_get(&key))
                .await?
                .is_some();
            let waited = Duration::from_micros(now.saturating_sub(e.at_us).max(0) as u64);
            match super::finish::decide(recorded, false, waited, takeover) {
                Finishing::Recorded => {}
                Finishing::Append if pending != Some(e.id) => {
                    tracing::warn!(purge = %e.id, "the node that decided this purge has not recorded its end; this node records it");
                    self.writer
                        .purge(PurgeWrite {
                            event: e.clone(),
                            meta: Vec::new(),
                        })
                        .await?;
                }
                Finishing::Append => kept.push(e.clone()),
                Finishing::Wait(d) => {
                    next = Some(next.map_or(d, |n| n.min(d)));
                    kept.push(e.clone());
                }
            }
        }
        if kept.len() != list.len() {
            let row = crate::codec::encode(&kept);
            self.blocking(move |log| log.meta_put(AWAITING_KEY, &row))
                .await?;
        }
        Ok(next)
    }

    /// Runs `plan` to its end (after finishing an interrupted one); returns how many log entries
    /// it removed. An error leaves it pending: [`Purger::resume`] finishes it.
    pub async fn run(&self, mut plan: PurgePlan) -> Result<u64, Error> {
        let _one = self.one_at_a_time.lock().await;
        if let Some(earlier) = self.pending().await? {
            self.finish(earlier, false).await?;
        }
        plan.normalise();
        plan.until = self.writer.last_seq();
        let encoded = crate::codec::encode(&plan);
        if self.cluster.is_some() {
            // Before Begun: a node that stops after Begun knows, when it comes back, that the
            // Finished event is its to append.
            let row = encoded.clone();
            self.blocking(move |log| log.meta_put(DECIDED_KEY, &row))
                .await?;
        }
        let meta = vec![(PENDING_KEY.to_owned(), Some(encoded))];
        self.writer
            .purge(PurgeWrite::of(&plan, PurgePhase::Begun, meta))
            .await?;
        self.finish(plan, true).await
    }

    fn stage(&self, plan: &PurgePlan, stage: Stage) {
        tracing::info!(purge = %plan.id, ?stage, statements = plan.statements, "purge");
        self.status.send_replace(Some(PurgeStatus {
            id: plan.id,
            stage,
            statements: plan.statements,
        }));
    }

    /// Runs `plan`'s phases after Begun. `decided`: this node began it (in cluster mode, the one
    /// node that appends its Finished event).
    async fn finish(&self, plan: PurgePlan, decided: bool) -> Result<u64, Error> {
        // The entries must have left the in-memory tail (projected) before they are removed,
        // or the projector would write them back.
        self.stage(&plan, Stage::Waiting);
        let shared_db = self.cluster.as_ref().and_then(|c| c.shared.clone());
        if let Some(db) = &shared_db {
            // One database for the cluster: its rows go once, by the partitions' lease holders.
            self.stage(&plan, Stage::Projection);
            db.purge(&plan).await?;
        } else {
            let until = plan.until;
            while self.blocking(crate::projector::read_checkpoint).await? < until {
                tokio::time::sleep(self.poll).await;
            }
            self.stage(&plan, Stage::Projection);
            // The rows go while the projector goes on (new entries are not among them, and
            // their mutations can take minutes on a large store); only the aggregates' rebuild
            // holds batches back, as a batch would feed the hours being rebuilt.
            self.projection.purge_rows(&plan).await?;
            let _no_batch = self.gate.lock().await;
            self.projection.purge_aggregates(&plan).await?;
        }
        self.stage(&plan, Stage::Removing);
        let mut plan = plan;
        if !plan.personas.is_empty() {
            plan.later_personas = self.later_personas(&plan).await?;
        }
        let shared = Arc::new(plan);
        let p = shared.clone();
        let removed = self.blocking(move |log| log.purge(&p)).await?;
        self.evict(&shared);
        if let Some(personas) = &self.personas {
            personas.purged(&shared.personas, shared.rewritten_personas());
        }
        // (In a shared database the partitions' holders wrote them with the rows.)
        let links = super::shared::links(&shared);
        if !links.is_empty() && shared_db.is_none() {
            self.projection.link_personas(&links).await?;
        }
        self.stage(&shared, Stage::Compacting);
        self.blocking(|log| log.compact()).await?;
        let plan = Arc::unwrap_or_clone(shared);
        if let Some(c) = &self.cluster {
            self.stage(&plan, Stage::Rewriting);
            let (log, p) = (c.log.clone(), plan.clone());
            let started = std::time::Instant::now();
            let rewritten = tokio::task::spawn_blocking(move || super::rewrite::rewrite(&*log, &p))
                .await
                .map_err(|e| Error::Internal(e.to_string()))??;
            tracing::info!(purge = %plan.id, messages = rewritten, seconds = started.elapsed().as_secs_f64(), "replicated log rewritten");
            let decided = decided || self.decided().await?.is_some_and(|d| d.id == plan.id);
            if !decided {
                // Appended by this node if the log does not have it after the takeover delay.
                self.awaits(&plan).await?;
            }
            // This node's plan goes first: then it applies the log past the purge again.
            self.writer.purge_done(plan.id).await?;
            self.writer.catch_up().await?;
            if decided {
                self.append_finished(&plan).await?;
            }
        } else {
            self.writer
                .purge(PurgeWrite::of(
                    &plan,
                    PurgePhase::Finished,
                    vec![(PENDING_KEY.to_owned(), None)],
                ))
                .await?;
        }
        self.blocking(|log| log.compact_meta()).await?;
        self.stage(&plan, Stage::Finished);
        Ok(removed)
    }

    /// The persona events of `plan`'s stores appended after it was made.
    async fn later_personas(
        &self,
        plan: &PurgePlan,
    ) -> Result<Vec<crate::personas::PersonaEvent>, Error> {
        let (stores, until) = (plan.scope.stores(), plan.personas_after);
        self.blocking(move |log| {
            let mut out = Vec::new();
            let mut after = until;
            loop {
                let chunk = log.events_after(after, 10_000)?;
                let Some((last, _)) = chunk.last() else { break };
                after = *last;
                for (_, e) in chunk {
                    if let crate::event::Event::Persona(p) = e
                        && stores.contains(&p.store)
                    {
                        out.push((*p).clone());
                    }
                }
            }
            Ok(out)
        })
        .await
    }

    fn evict(&self, plan: &PurgePlan) {
        let Some(cache) = &self.cache else { return };
        let seqs: HashSet<u64> = plan.seqs.iter().copied().collect();
        let gone: Vec<(StoreId, Uuid)> = cache
            .iter()
            .filter(|(k, (seq, _))| match &plan.scope {
                PurgeScope::Store(s) => k.0 == *s,
                PurgeScope::Entries { .. } => seqs.contains(seq),
            })
            .map(|(k, _)| *k)
            .collect();
        for k in gone {
            cache.invalidate(&k);
        }
    }
}
