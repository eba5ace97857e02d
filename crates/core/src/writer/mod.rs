//! The group-commit writer: the single owner of every mutation of the log. Requests arrive on a
//! bounded channel; the writer thread drains what is waiting (up to `max_group` requests), checks
//! each request against the committed state plus the earlier requests of the same group (id
//! conflicts, voiding rules, StatementRef keys), assigns sequence numbers and `stored` times,
//! commits the whole group with one fsync, and only then answers. Requests are all-or-nothing.
use crate::documents::{DocumentEvent, DocumentKey, DocumentOp, DocumentRecord};
use crate::documents::{DocumentRequest, DocumentWrite};
use crate::error::Error;
use crate::event::{Event, FilterKeys, StatementRecord};
use crate::ids::StoreId;
use crate::ports::{LogStore, WriteSet};
use crate::tail::Tail;
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use tokio::sync::{mpsc, oneshot, watch};
use uuid::Uuid;

mod dashboards;
mod documents;
mod forwarders;

mod group;
mod personas;
mod purges;
mod replicated;

use group::Group;

#[derive(Debug, Clone)]
pub struct WriterConfig {
    /// Requests waiting for the writer before senders are held back.
    pub queue_capacity: usize,
    /// Requests committed together in one group (one fsync).
    pub max_group: usize,
    /// Merged activity definitions the writer keeps in memory, so that a definition seen again
    /// unchanged costs neither a read nor a write of the store.
    pub activity_cache_entries: usize,
}

impl Default for WriterConfig {
    fn default() -> Self {
        WriterConfig {
            queue_capacity: 4096,
            max_group: 512,
            activity_cache_entries: 100_000,
        }
    }
}

/// A statement ready to be appended: validated, completed by the LRS, serialized. Everything the
/// writer thread needs is computed here, by the request task, so the single writer does as
/// little as possible per statement.
#[derive(Clone)]
pub struct NewStatement {
    pub id: Uuid,
    /// The activity definitions the statement carries (see [`crate::activities::definitions`]).
    pub definitions: Vec<crate::activities::Carried>,
    pub body: Vec<u8>,
    pub keys: FilterKeys,
    pub voids: Option<Uuid>,
    pub ref_target: Option<Uuid>,
    pub attachments: Vec<String>,
    /// The LRS filled in `timestamp` (the client sent none): ignored when comparing with an
    /// existing statement of the same id.
    pub lrs_timestamp: bool,
    /// The `stored` of a statement restored from an archive ([`crate::archive`]); `None`: the
    /// commit time, as for every statement a client sends.
    pub restored_stored_us: Option<i64>,
    /// The projection's facts, from the typed statement (`None`: parsed from `body` when
    /// projected).
    pub facts: Option<Arc<crate::facts::StatementFacts>>,
}

#[derive(Clone)]
pub struct AppendRequest {
    pub store: StoreId,
    pub statements: Vec<NewStatement>,
    /// Attachment bodies by sha2 (hex).
    pub attachments: Vec<(String, Bytes)>,
    /// None: the client reads every statement of the store. Some(authority key): only those it
    /// wrote; it then voids only those, and an id taken by another client's statement is a
    /// conflict whatever that statement says (see `Group::plan`).
    pub own_only: Option<String>,
}

type Reply = oneshot::Sender<Result<u64, Error>>;

/// What the writer thread is asked to do: append statements, change documents, or change the
/// tenancy (organisations, stores, clients, users; see [`crate::tenancy`]). Cloned only in
/// cluster mode, where a group refused by the replicated log is decided again.
#[derive(Clone)]
enum WriteRequest {
    Append(AppendRequest),
    Document(DocumentRequest),
    Tenancy(Vec<crate::tenancy::TenancyCommand>),
    Personas(StoreId, Vec<crate::personas::PersonaCommand>),
    Dashboards(StoreId, Vec<crate::dashboards::DashboardCommand>),
    Forwarders(StoreId, Vec<crate::forwarding::ForwarderCommand>),
    Purge(PurgeWrite),
    Audit(crate::audit::AuditRecord),
    /// Cluster mode: apply what other nodes appended to the replicated log.
    CatchUp,
    /// Cluster mode: this node finished a purge; its pending plan leaves this node's store.
    PurgeDone(Uuid),
}

/// A purge's phase: its event (its time is the group's), and the `meta` rows written with it
/// (the pending plan).
#[derive(Clone)]
pub struct PurgeWrite {
    pub event: crate::purge::PurgeEvent,
    pub meta: Vec<(String, Option<Vec<u8>>)>,
}

impl PurgeWrite {
    /// `plan`'s event in `phase`, with `meta`.
    pub fn of(
        plan: &crate::purge::PurgePlan,
        phase: crate::purge::PurgePhase,
        meta: Vec<(String, Option<Vec<u8>>)>,
    ) -> Self {
        PurgeWrite {
            event: plan.event(phase, 0),
            meta,
        }
    }
}

/// What the rest of the system sees of the writer. Cheap to clone.
#[derive(Clone)]
pub struct WriterHandle {
    tx: mpsc::Sender<(WriteRequest, Reply)>,
    shared: Arc<Shared>,
}

struct Shared {
    last_seq: AtomicU64,
    last_stored_us: AtomicI64,
    /// The first `stored` of the group being committed, or `i64::MAX` when idle.
    inflight_from_us: AtomicI64,
    committed: watch::Sender<u64>,
    /// Set when the store refused a commit: nothing more can be trusted to be durable.
    failed: watch::Sender<Option<String>>,
    /// Cluster mode: the log position of the last purge another node began.
    purges: watch::Sender<u64>,
}

impl WriterHandle {
    /// Appends the request durably; answers with the last sequence number committed by its group.
    pub async fn append(&self, req: AppendRequest) -> Result<u64, Error> {
        self.send(WriteRequest::Append(req)).await
    }

    /// Applies a document change atomically: preconditions are evaluated by the writer thread
    /// against the committed state plus the earlier writes of the same group.
    pub async fn document(&self, req: DocumentRequest) -> Result<u64, Error> {
        self.send(WriteRequest::Document(req)).await
    }

    /// Applies tenancy commands, all or nothing, checked by the writer thread against the
    /// committed tenancy plus the earlier changes of its group.
    pub async fn tenancy(
        &self,
        commands: Vec<crate::tenancy::TenancyCommand>,
    ) -> Result<u64, Error> {
        self.send(WriteRequest::Tenancy(commands)).await
    }

    /// Applies persona commands of one store, all or nothing, checked by the writer thread
    /// against the committed personas plus the earlier changes of its group.
    pub async fn personas(
        &self,
        store: StoreId,
        commands: Vec<crate::personas::PersonaCommand>,
    ) -> Result<u64, Error> {
        self.send(WriteRequest::Personas(store, commands)).await
    }

    /// Applies dashboard commands of one store, all or nothing, checked by the writer thread
    /// against the committed dashboards plus the earlier changes of its group.
    pub async fn dashboards(
        &self,
        store: StoreId,
        commands: Vec<crate::dashboards::DashboardCommand>,
    ) -> Result<u64, Error> {
        self.send(WriteRequest::Dashboards(store, commands)).await
    }

    /// Applies forwarder commands of one store, all or nothing, checked by the writer thread
    /// against the committed forwarders plus the earlier changes of its group.
    pub async fn forwarders(
        &self,
        store: StoreId,
        commands: Vec<crate::forwarding::ForwarderCommand>,
    ) -> Result<u64, Error> {
        self.send(WriteRequest::Forwarders(store, commands)).await
    }

    /// Appends a purge's event and writes its `meta` rows in the same durable batch; answers
    /// with the event's sequence number.
    pub async fn purge(&self, write: PurgeWrite) -> Result<u64, Error> {
        self.send(WriteRequest::Purge(write)).await
    }

    /// Appends an audit record; the writer sets its time to the commit's.
    pub async fn audit(&self, record: crate::audit::AuditRecord) -> Result<u64, Error> {
        self.send(WriteRequest::Audit(record)).await
    }

    /// Cluster mode: applies what other nodes appended to the replicated log since this node
    /// last looked (the follower calls it). Does nothing on a single node.
    pub async fn catch_up(&self) -> Result<u64, Error> {
        self.send(WriteRequest::CatchUp).await
    }

    async fn send(&self, req: WriteRequest) -> Result<u64, Error> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send((req, tx))
            .await
            .map_err(|_| Error::Unavailable("the writer has stopped".into()))?;
        rx.await
            .map_err(|_| Error::Unavailable("the writer has stopped".into()))?
    }

    pub fn last_seq(&self) -> u64 {
        self.shared.last_seq.load(Ordering::Acquire)
    }

    /// A time up to which every statement is readable: now, unless a group is being committed,
    /// then just before its first `stored` (later groups always get later `stored` times). In
    /// cluster mode, the `stored` of the last group applied (other nodes may be appending).
    pub fn consistent_through_us(&self) -> i64 {
        // Read the clock before the in-flight marker: a group that starts after this load gets
        // `stored` times later than `now`.
        let now = crate::time_fmt::now_us();
        let inflight = self.shared.inflight_from_us.load(Ordering::Acquire);
        let last = self.shared.last_stored_us.load(Ordering::Acquire);
        now.min(inflight.saturating_sub(1)).max(last)
    }

    /// Why the store refused a commit, once it has: an embedded store that failed a durable
    /// write (fsync) poisons itself, and only a restart (which recovers from its journal) brings
    /// it back. `None` while every commit has succeeded.
    pub fn failure(&self) -> Option<String> {
        self.shared.failed.borrow().clone()
    }

    /// Notified when the store refuses a commit (see [`WriterHandle::failure`]).
    pub fn failed(&self) -> watch::Receiver<Option<String>> {
        self.shared.failed.subscribe()
    }

    /// Notified with the last committed sequence number after each commit.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.shared.committed.subscribe()
    }
}

/// Called after each durable commit with the new records (the tail and caches feed on it).
pub type CommitHook = Box<dyn Fn(&[(u64, Arc<StatementRecord>)]) + Send + Sync>;

pub struct Writer {
    log: Arc<dyn LogStore>,
    tail: Arc<Tail>,
    hook: Option<CommitHook>,
    config: WriterConfig,
    /// Committed merged definitions by (store, activity id); bounded by
    /// `activity_cache_entries` (cleared when full).
    activities: crate::activities::Definitions,
    tenancy: Option<Arc<crate::tenancy::Registry>>,
    personas: Arc<crate::personas::Personas>,
    dashboards: Arc<crate::dashboards::Dashboards>,
    forwarders: Arc<crate::forwarding::Forwarders>,
    /// Cluster mode: the log every group is appended to before it is committed locally.
    replicated: Option<Arc<dyn crate::replicated::ReplicatedLog>>,
    /// Takes in the restored ranges each commit records ([`crate::timeline::restored`]).
    timeline: Arc<crate::timeline::Timeline>,
}

impl Writer {
    pub fn new(log: Arc<dyn LogStore>, tail: Arc<Tail>, config: WriterConfig) -> Self {
        Writer {
            log,
            tail,
            hook: None,
            config,
            activities: HashMap::new(),
            tenancy: None,
            personas: Arc::default(),
            dashboards: Arc::default(),
            forwarders: Arc::default(),
            replicated: None,
            timeline: Arc::new(crate::timeline::Timeline::new()),
        }
    }

    /// Cluster mode: every group is appended to `log` first and committed locally only once
    /// it is there; the writer applies what other nodes appended (see [`replicated`]).
    pub fn with_replicated(mut self, log: Arc<dyn crate::replicated::ReplicatedLog>) -> Self {
        self.replicated = Some(log);
        self
    }

    /// Lets the writer change the personas held by `personas` (it applies each committed change).
    pub fn with_personas(mut self, personas: Arc<crate::personas::Personas>) -> Self {
        self.personas = personas;
        self
    }

    /// Lets the writer change the dashboards held by `dashboards` (it publishes each committed
    /// state).
    pub fn with_dashboards(mut self, dashboards: Arc<crate::dashboards::Dashboards>) -> Self {
        self.dashboards = dashboards;
        self
    }

    /// Lets the writer change the forwarders held by `forwarders` (it publishes each committed
    /// state).
    pub fn with_forwarders(mut self, forwarders: Arc<crate::forwarding::Forwarders>) -> Self {
        self.forwarders = forwarders;
        self
    }

    /// Lets the writer change the tenancy held by `registry` (it publishes each committed state).
    pub fn with_tenancy(mut self, registry: Arc<crate::tenancy::Registry>) -> Self {
        self.tenancy = Some(registry);
        self
    }

    /// The timeline the statement reads use: it learns each restored range as it is committed
    /// here or applied from another node.
    pub fn with_timeline(mut self, timeline: Arc<crate::timeline::Timeline>) -> Self {
        self.timeline = timeline;
        self
    }

    pub fn with_hook(mut self, hook: CommitHook) -> Self {
        self.hook = Some(hook);
        self
    }

    /// Starts the writer thread. It stops when every handle is dropped.
    pub fn spawn(self) -> Result<(WriterHandle, std::thread::JoinHandle<()>), Error> {
        let last_seq = self.log.last_seq()?;
        let last_stored = self.log.event(last_seq)?.map_or(0, |e| e.at_us());
        let (tx, rx) = mpsc::channel(self.config.queue_capacity);
        let shared = Arc::new(Shared {
            last_seq: AtomicU64::new(last_seq),
            last_stored_us: AtomicI64::new(last_stored),
            inflight_from_us: AtomicI64::new(i64::MAX),
            committed: watch::channel(last_seq).0,
            failed: watch::channel(None).0,
            purges: watch::channel(0).0,
        });
        let handle = WriterHandle {
            tx,
            shared: shared.clone(),
        };
        let join = std::thread::Builder::new()
            .name("cairn-writer".into())
            .spawn(move || self.run(rx, shared))
            .map_err(|e| Error::Internal(e.to_string()))?;
        Ok((handle, join))
    }

    fn run(mut self, mut rx: mpsc::Receiver<(WriteRequest, Reply)>, shared: Arc<Shared>) {
        let mut pos = Position {
            seq: shared.last_seq.load(Ordering::Acquire),
            stored: shared.last_stored_us.load(Ordering::Acquire),
            applied: 0,
            held: false,
        };
        if let Some(r) = self.replicated.clone() {
            self.start_replicated(&*r, &shared, &mut pos);
        }
        while let Some(first) = rx.blocking_recv() {
            let mut group = vec![first];
            while group.len() < self.config.max_group {
                match rx.try_recv() {
                    Ok(r) => group.push(r),
                    Err(_) => break,
                }
            }
            if let Some(r) = self.replicated.clone() {
                self.commit_replicated(&*r, group, &shared, &mut pos);
                continue;
            }
            let mut g = Group::new(pos.seq, pos.stored.max(crate::time_fmt::now_us()));
            shared
                .inflight_from_us
                .store(g.stored_us + 1, Ordering::Release);
            let mut replies = Vec::with_capacity(group.len());
            for (req, reply) in group {
                let outcome = self.plan_one(&mut g, req);
                replies.push((reply, outcome));
            }
            let merged = match g.seal(&*self.log) {
                Ok(merged) => merged,
                Err(e) => {
                    fail_group(&shared, replies, &e);
                    continue;
                }
            };
            if !g.ws.is_empty() {
                let commit_started = std::time::Instant::now();
                let committed = self.log.commit(&g.ws);
                metrics::histogram!("cairn_writer_commit_seconds")
                    .record(commit_started.elapsed().as_secs_f64());
                metrics::histogram!("cairn_writer_group_requests").record(replies.len() as f64);
                if let Err(e) = committed {
                    fail_group(&shared, replies, &e);
                    continue;
                }
                self.committed(g, merged, &shared, &mut pos);
            }
            shared.inflight_from_us.store(i64::MAX, Ordering::Release);
            for (reply, outcome) in replies {
                let _ = reply.send(outcome.map(|()| pos.seq));
            }
        }
    }

    /// Checks one request against the committed state plus the group's earlier requests and,
    /// when accepted, adds it to the group.
    fn plan_one(&self, g: &mut Group, req: WriteRequest) -> Result<(), Error> {
        match req {
            WriteRequest::Append(r) => g.plan(&*self.log, &self.activities, r),
            WriteRequest::Document(r) => g.plan_document(&*self.log, r),
            WriteRequest::Tenancy(r) => g.plan_tenancy(self.tenancy.as_deref(), r),
            WriteRequest::Personas(store, r) => g.plan_personas(&self.personas.read(), store, r),
            WriteRequest::Dashboards(store, r) => g.plan_dashboards(&self.dashboards, store, r),
            WriteRequest::Forwarders(store, r) => g.plan_forwarders(&self.forwarders, store, r),
            WriteRequest::Purge(w) => self.plan_purge(g, w),
            WriteRequest::Audit(r) => {
                g.plan_audit(r);
                Ok(())
            }
            WriteRequest::CatchUp => Ok(()),
            WriteRequest::PurgeDone(id) => self.purge_done(id),
        }
    }

    /// After the group is durable: the in-memory state (tail, caches, tenancy, dashboards,
    /// forwarders, personas) takes it in and waiters of the log are told.
    fn committed(
        &mut self,
        mut g: Group,
        merged: documents::Merged,
        shared: &Shared,
        pos: &mut Position,
    ) {
        if self.activities.len() + merged.len() > self.config.activity_cache_entries {
            self.activities.clear();
        }
        self.activities.extend(merged);
        pos.seq = g.seq;
        pos.stored = g.stored_us;
        shared.last_stored_us.store(pos.stored, Ordering::Release);
        shared.last_seq.store(pos.seq, Ordering::Release);
        self.tail.push_all(&g.records);
        for (s, e) in &g.ws.events {
            if let Event::Persona(p) = &**e {
                self.tail.push_persona(*s, p.clone());
            }
        }
        if let Some(hook) = &self.hook {
            hook(&g.records);
        }
        if let (Some(reg), Some(t)) = (&self.tenancy, g.tenancy.take()) {
            reg.replace(t);
        }
        if let Some(d) = g.dashboards.take() {
            self.dashboards.replace(d);
        }
        if let Some(f) = g.forwarders.take() {
            self.forwarders.replace(f);
        }
        if !g.persona_events.is_empty() {
            self.personas.apply(&g.persona_events);
        }
        if let Some(all) = g.restored_all.take() {
            self.timeline.replace_restored(&all);
        }
        shared.committed.send_replace(pos.seq);
    }
}

/// Where the writer is: the last log position and `stored` time committed, and (cluster mode)
/// the last replicated-log message applied.
struct Position {
    seq: u64,
    stored: i64,
    applied: u64,
    /// Cluster mode: the next message begins a purge this node cannot take yet (it is still
    /// finishing another one).
    held: bool,
}

/// The store refused a commit: every request of the group fails, and the writer records why.
fn fail_group(
    shared: &Shared,
    replies: Vec<(Reply, Result<(), Error>)>,
    e: &crate::ports::StoreError,
) {
    tracing::error!(error = %e, "group commit failed");
    shared.failed.send_replace(Some(e.to_string()));
    for (reply, _) in replies {
        let _ = reply.send(Err(Error::Internal(e.to_string())));
    }
    shared.inflight_from_us.store(i64::MAX, Ordering::Release);
}
