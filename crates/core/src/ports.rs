//! Ports: what the domain needs from storage and analytics. Adapters implement them
//! (`cairn-store` the log, `cairn-clickhouse` the projection).
use crate::documents::{DocumentKey, DocumentRecord, DocumentScope};
use crate::event::{Event, StatementRecord};
use crate::ids::StoreId;
use crate::query::{Page, StatementQuery};
use bytes::Bytes;
use std::sync::Arc;
use uuid::Uuid;

/// The `meta` key counting how many times entries were removed from the log (purges). Every
/// removal increments it in the same write batch, so an incremental backup that sees it change
/// knows the log was rewritten since the previous backup. Big-endian u64.
pub const LOG_REWRITES_KEY: &str = "log.rewrites";

#[derive(Debug, thiserror::Error)]
#[error("storage: {0}")]
pub struct StoreError(pub String);

/// What went wrong with the projection, as far as callers need to tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectionErrorKind {
    /// It could not be reached (refused, reset, timed out): the LRS serves in degraded mode.
    Unavailable,
    /// A query ran longer than `analytics_max_execution_seconds` allows.
    TooSlow,
    /// A query needed more memory than `analytics_max_memory_mb` allows.
    TooLarge,
    /// Anything else.
    Failed,
}

#[derive(Debug, thiserror::Error)]
#[error("projection: {message}")]
pub struct ProjectionError {
    pub kind: ProjectionErrorKind,
    pub message: String,
}

impl ProjectionError {
    /// A failure of no particular kind.
    pub fn new(message: impl Into<String>) -> Self {
        Self::of(ProjectionErrorKind::Failed, message)
    }

    pub fn of(kind: ProjectionErrorKind, message: impl Into<String>) -> Self {
        ProjectionError {
            kind,
            message: message.into(),
        }
    }

    pub fn is_unavailable(&self) -> bool {
        self.kind == ProjectionErrorKind::Unavailable
    }
}

/// A materialized tenancy row: key, encoded entity.
pub type EntityRow = (Vec<u8>, Vec<u8>);

/// Everything one group commit writes. The adapter applies it atomically and durably. In
/// cluster mode it is also the replicated log's message ([`crate::replicated`]): its postcard
/// form is a stored format (frozen-bytes test there).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct WriteSet {
    /// Log entries by sequence number.
    pub events: Vec<(u64, Arc<Event>)>,
    /// (store, statement id) → sequence number of the statement.
    pub statement_ids: Vec<(StoreId, Uuid, u64)>,
    /// (store, voided statement id) → sequence number of the voiding statement.
    pub voided: Vec<(StoreId, Uuid, u64)>,
    /// (store, sha2 hex) → attachment body.
    pub attachments: Vec<(StoreId, String, Bytes)>,
    /// (store, key) → the document's new version, or None to delete it.
    pub documents: Vec<(StoreId, DocumentKey, Option<Arc<DocumentRecord>>)>,
    /// (store, activity id) → the merged definition (JSON object) seen in statements.
    pub activities: Vec<(StoreId, String, Vec<u8>)>,
    /// Materialized tenancy rows: key → encoded entity, or None to delete it.
    pub entities: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    /// (store, persona id) → the encoded persona, or None to delete it.
    pub personas: Vec<(StoreId, Uuid, Option<Vec<u8>>)>,
    /// Materialized dashboard rows (dashboards, widgets, share links): key → encoded record,
    /// or None to delete it.
    pub dashboards: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    /// Materialized forwarders: id → encoded forwarder, or None to delete it.
    pub forwarders: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    /// `meta` rows: key → value, or None to delete it (a purge's pending plan).
    pub meta: Vec<(String, Option<Vec<u8>>)>,
    /// The audit index: time ‖ seq → encoded audit record.
    pub audit: Vec<(Vec<u8>, Vec<u8>)>,
}

impl WriteSet {
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}

/// The durable event log and the indexes kept beside it. Calls are blocking (the embedded store
/// is synchronous); async callers use `spawn_blocking` where a call may touch disk.
pub trait LogStore: Send + Sync + 'static {
    /// Highest sequence number committed (0 when empty).
    fn last_seq(&self) -> Result<u64, StoreError>;
    /// Applies a write set atomically; returns only once it is durable (fsync).
    fn commit(&self, ws: &WriteSet) -> Result<(), StoreError>;
    fn event(&self, seq: u64) -> Result<Option<Event>, StoreError>;
    /// The statements at these log positions, in the same order (`None` where the entry is
    /// missing or is not a statement): how statement bodies are read for a page or an export
    /// whose positions ClickHouse chose.
    fn statements_at(&self, seqs: &[u64]) -> Result<Vec<Option<Arc<StatementRecord>>>, StoreError> {
        seqs.iter()
            .map(|s| Ok(self.event(*s)?.and_then(|e| e.as_statement().cloned())))
            .collect()
    }
    /// Events with sequence numbers greater than `after`, in order, at most `limit`.
    fn events_after(&self, after: u64, limit: usize) -> Result<Vec<(u64, Event)>, StoreError>;
    /// Events with sequence numbers below `before`, newest first, at most `limit`.
    fn events_before(&self, before: u64, limit: usize) -> Result<Vec<(u64, Event)>, StoreError>;
    fn statement_seq(&self, store: StoreId, id: Uuid) -> Result<Option<u64>, StoreError>;
    fn voided_by(&self, store: StoreId, id: Uuid) -> Result<Option<u64>, StoreError>;
    fn attachment(&self, store: StoreId, sha2: &str) -> Result<Option<Bytes>, StoreError>;
    /// The current version of a document.
    fn document(
        &self,
        store: StoreId,
        key: &DocumentKey,
    ) -> Result<Option<DocumentRecord>, StoreError>;
    /// Every document in the scope, in key order.
    fn documents(
        &self,
        store: StoreId,
        scope: &DocumentScope,
    ) -> Result<Vec<DocumentRecord>, StoreError>;
    /// The merged activity definition (JSON object) recorded for an activity id.
    fn activity(&self, store: StoreId, id: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Every materialized tenancy row (key, encoded entity), in key order.
    fn entities(&self) -> Result<Vec<EntityRow>, StoreError>;
    /// Every materialized persona (encoded), of every store.
    fn personas(&self) -> Result<Vec<Vec<u8>>, StoreError>;
    /// Every materialized dashboard row (key, encoded record), in key order.
    fn dashboards(&self) -> Result<Vec<EntityRow>, StoreError>;
    /// Every materialized forwarder row (key, encoded forwarder), in key order.
    fn forwarders(&self) -> Result<Vec<EntityRow>, StoreError>;
    /// Forwarding's delivery records (cursors, dead letters) whose key starts with `prefix`,
    /// in key order. They are not in the log: a cursor moves with every delivered batch.
    fn forwarding_rows(&self, prefix: &[u8]) -> Result<Vec<EntityRow>, StoreError>;
    /// Writes delivery records (None deletes) atomically and durably (fsync).
    fn forwarding_write(&self, rows: &[(Vec<u8>, Option<Vec<u8>>)]) -> Result<(), StoreError>;
    /// Writes delivery records atomically, handed to the operating system but not forced to
    /// disk: they survive the process crashing, and may be lost with the machine (a forwarding
    /// cursor that goes back only sends acknowledged batches again). By default, durably.
    fn forwarding_write_buffered(
        &self,
        rows: &[(Vec<u8>, Option<Vec<u8>>)],
    ) -> Result<(), StoreError> {
        self.forwarding_write(rows)
    }
    /// Audit index rows (key, encoded record) with keys below `before` (all when `None`),
    /// newest first, at most `limit`.
    fn audit_before(
        &self,
        before: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<EntityRow>, StoreError>;
    /// Whether the statement key index ([`crate::key_index`]) holds every statement of the
    /// log (it does not while it is being built for an existing data directory). By default,
    /// a store has no such index.
    fn key_index_ready(&self) -> bool {
        false
    }
    /// Up to `limit` entries of one range of the key index, in the scan's order: the log
    /// position and whether the entry is a direct one (see [`crate::key_index::entries`]).
    fn key_index_seqs(
        &self,
        scan: &crate::key_index::IndexScan<'_>,
        limit: usize,
    ) -> Result<Vec<(u64, bool)>, StoreError> {
        let _ = (scan, limit);
        Err(StoreError("this store has no key index".into()))
    }
    /// Small durable settings such as the projection checkpoint.
    fn meta_get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    fn meta_put(&self, key: &str, value: &[u8]) -> Result<(), StoreError>;
    /// Removes what `plan` lists (log entries with their indexes, documents, attachments,
    /// personas; every entry of the store for a whole-store scope) and increments
    /// [`LOG_REWRITES_KEY`] in the same durable batch (several batches for a whole store, each
    /// counted). Repeating it is harmless. Returns how many log entries it removed.
    fn purge(&self, plan: &crate::purge::PurgePlan) -> Result<u64, StoreError> {
        let _ = plan;
        Err(StoreError("this store cannot purge".into()))
    }
    /// Rewrites the store's files so that removed entries are no longer on disk (journals
    /// rotated and deleted, tables compacted). Blocks until done.
    fn compact(&self) -> Result<(), StoreError> {
        Err(StoreError("this store cannot compact".into()))
    }
    /// Rewrites only the small `meta` rows' files (after a purge's pending plan was removed).
    fn compact_meta(&self) -> Result<(), StoreError> {
        self.compact()
    }
}

/// One identifier → persona assignment, as of the event `seq`.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonaLink {
    pub seq: u64,
    pub store: StoreId,
    pub ifi: String,
    pub persona: Option<Uuid>,
}

/// How long the next write into a shared projection may take, while one may start now (`None`:
/// none may, this node no longer holds the partition's projection lease); see
/// [`Projection::purge_aggregates_within`].
pub type WriteWindow = dyn Fn() -> Option<std::time::Duration> + Send + Sync;

/// The analytics projection of the log (ClickHouse). Inserting the same sequence numbers again
/// must never produce a second row once `discard_after` has run (the projector's exactly-once).
#[async_trait::async_trait]
pub trait Projection: Send + Sync + 'static {
    /// Creates the database when missing and applies schema migrations.
    async fn migrate(&self) -> Result<(), ProjectionError>;
    /// Answers once the projection's server is reachable and answering (readiness checks).
    async fn ping(&self) -> Result<(), ProjectionError>;
    /// Inserts projected statements (sequence number, record), in sequence order, then records
    /// the statements this batch voids ([`crate::voiding::retractions`]), which may be in the
    /// batch or earlier.
    async fn insert(
        &self,
        rows: &[(u64, Arc<StatementRecord>)],
        retractions: &[crate::voiding::Retraction],
    ) -> Result<(), ProjectionError>;
    /// Records which persona holds each identifier from the given sequence number on
    /// (`None`: no persona; the identifier is its own implicit persona).
    async fn link_personas(&self, links: &[PersonaLink]) -> Result<(), ProjectionError>;
    /// Removes every row with a sequence number above `seq` (all rows when 0), and waits until done.
    async fn discard_after(&self, seq: u64) -> Result<(), ProjectionError>;
    /// Stops every write into the projection that its server is still running, from this
    /// process or another (a write abandoned after a timeout, or sent by a node that has since
    /// died), and answers once none runs: a `discard_after` that follows is not undone by a
    /// write landing after it.
    async fn fence(&self) -> Result<(), ProjectionError> {
        Ok(())
    }
    /// Removes every row derived from the log entries `plan` lists (or from its whole store)
    /// and waits until done, leaving the aggregates ([`Projection::purge_aggregates`]). Rows
    /// of other entries may be inserted meanwhile. Repeating it is harmless.
    async fn purge_rows(&self, plan: &crate::purge::PurgePlan) -> Result<(), ProjectionError> {
        let _ = plan;
        Err(ProjectionError::new("this projection cannot purge"))
    }
    /// After [`Projection::purge_rows`]: rebuilds the aggregates of the hours and months the
    /// removed entries were in from the remaining rows, and waits until done. The caller holds
    /// back inserts meanwhile (they would feed the aggregates being rebuilt). Repeating it is
    /// harmless.
    async fn purge_aggregates(
        &self,
        plan: &crate::purge::PurgePlan,
    ) -> Result<(), ProjectionError> {
        let _ = plan;
        Err(ProjectionError::new("this projection cannot purge"))
    }
    /// [`Projection::purge_aggregates`] in a database that other nodes write too
    /// (`projection_shared`): each of its writes starts only while `window` answers how long
    /// it may take (the projection lease's write window), is abandoned after that, and carries
    /// the query id of the projector's writes, so that a node taking the lease over stops it
    /// ([`Projection::fence`]). A write refused or abandoned fails the rebuild, which is then
    /// run again from its start. Repeating it is harmless.
    async fn purge_aggregates_within(
        &self,
        plan: &crate::purge::PurgePlan,
        window: &WriteWindow,
    ) -> Result<(), ProjectionError> {
        let _ = (plan, window);
        Err(ProjectionError::new(
            "this projection cannot purge a shared database",
        ))
    }
    /// Sequence numbers of statements matching `query` within `page`, in the query's order,
    /// excluding statements voided by a projected voiding statement.
    async fn query_seqs(
        &self,
        query: &StatementQuery,
        page: &Page,
    ) -> Result<Vec<u64>, ProjectionError>;
}
