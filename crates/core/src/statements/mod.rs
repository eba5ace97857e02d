//! The statement service: the xAPI rules for writing statements (ids, authority, version,
//! attachments, signatures, batches) and for reading them (by id, voided, filtered and paged).
use crate::degraded::ProjectionStatus;
use crate::error::Error;
use crate::event::{Event, StatementRecord};
use crate::ids::StoreId;
use crate::ports::{LogStore, Projection};
use crate::query::{Page, StatementQuery};
use crate::tail::Tail;
use crate::writer::WriterHandle;
use bytes::Bytes;
use cairn_xapi::{Actor, Statement, XapiVersion};
use std::sync::Arc;
use uuid::Uuid;

mod prepare;
pub(crate) use prepare::prepare;

const SIGNATURE_USAGE: &str = "http://adlnet.gov/expapi/attachments/signature";

/// Who is writing, and with which protocol version.
pub struct WriteContext {
    pub store: StoreId,
    pub authority: Actor,
    pub version: XapiVersion,
    /// The client holds the `define` scope: its activity definitions update the canonical
    /// Activity objects (xAPI: without it, the LRS keeps its own definitions).
    pub define: bool,
    /// The client reads every statement of the store (`all`, `all/read`, `statements/read`).
    /// Without it, it voids only its own statements and learns nothing of others' (see
    /// [`crate::writer::AppendRequest::own_only`]).
    pub reads_all: bool,
}

/// One attachment part of a multipart/mixed request.
pub struct AttachmentPart {
    /// The part's X-Experience-API-Hash header.
    pub sha2: String,
    pub content_type: String,
    pub body: Bytes,
}

/// A statement read back, with what a response needs besides its JSON.
pub struct FoundStatement {
    pub seq: u64,
    pub record: Arc<StatementRecord>,
}

pub struct QueryPage {
    pub statements: Vec<FoundStatement>,
    /// The window of the next page, when there is one.
    pub next: Option<Page>,
}

/// How far ingest may run ahead of the projection: statements held in the in-memory tail
/// before writers wait, and how long one request waits before it is refused with a 503.
#[derive(Debug, Clone, Copy)]
pub struct BacklogLimit {
    /// Unprojected statements, and bytes of them in memory, before writes wait (0: no bound).
    pub max: crate::tail::Bound,
    pub wait: std::time::Duration,
}

impl Default for BacklogLimit {
    fn default() -> Self {
        BacklogLimit {
            max: crate::tail::Bound {
                statements: 100_000,
                bytes: 256 << 20,
            },
            wait: std::time::Duration::from_secs(10),
        }
    }
}

#[derive(Clone)]
pub struct StatementService {
    log: Arc<dyn LogStore>,
    writer: WriterHandle,
    tail: Arc<Tail>,
    backlog: BacklogLimit,
    cache: moka::sync::Cache<(StoreId, Uuid), (u64, Arc<StatementRecord>)>,
    projection: Arc<dyn Projection>,
    status: Arc<ProjectionStatus>,
    /// Log entries one filtered read may scan while the projection is unreachable.
    degraded_scan_max: usize,
    /// Turns `since` / `until` into log positions for the projection.
    timeline: Arc<crate::timeline::Timeline>,
    /// Index entries one filtered read may examine before it asks ClickHouse instead
    /// (`read_index_scan_max`; 0: never read from the key index).
    index_scan_max: usize,
}

/// The default of `degraded_read_scan_max`.
pub const DEGRADED_SCAN_MAX: usize = 50_000;

impl StatementService {
    pub fn new(
        log: Arc<dyn LogStore>,
        writer: WriterHandle,
        tail: Arc<Tail>,
        cache: moka::sync::Cache<(StoreId, Uuid), (u64, Arc<StatementRecord>)>,
        projection: Arc<dyn Projection>,
    ) -> Self {
        StatementService {
            log,
            writer,
            tail,
            backlog: BacklogLimit::default(),
            cache,
            projection,
            status: Arc::new(ProjectionStatus::default()),
            degraded_scan_max: DEGRADED_SCAN_MAX,
            timeline: Arc::new(crate::timeline::Timeline::new()),
            index_scan_max: crate::key_index::SCAN_MAX,
        }
    }

    /// Filtered reads examine at most `scan_max` entries of the embedded key index before they
    /// ask ClickHouse instead (0: they always ask ClickHouse).
    pub fn with_key_index(mut self, scan_max: usize) -> Self {
        self.index_scan_max = scan_max;
        self
    }

    /// Degraded mode: `status` is shared with the projector; while the projection cannot be
    /// reached, a filtered read scans at most `scan_max` log entries instead.
    pub fn with_degraded(mut self, status: Arc<ProjectionStatus>, scan_max: usize) -> Self {
        self.status = status;
        self.degraded_scan_max = scan_max;
        self
    }

    pub fn with_backlog_limit(mut self, backlog: BacklogLimit) -> Self {
        self.backlog = backlog;
        self
    }

    /// Reads with `timeline`, the one the writer keeps the restored ranges in (see
    /// [`crate::writer::Writer::with_timeline`]).
    pub fn with_timeline(mut self, timeline: Arc<crate::timeline::Timeline>) -> Self {
        self.timeline = timeline;
        self
    }

    /// The timeline of `since` / `until` bounds.
    pub fn timeline(&self) -> Arc<crate::timeline::Timeline> {
        self.timeline.clone()
    }

    /// The event log and its indexes (for reads such as `analytics::names`).
    pub fn log(&self) -> Arc<dyn LogStore> {
        self.log.clone()
    }

    pub fn consistent_through_us(&self) -> i64 {
        self.writer.consistent_through_us()
    }

    /// Stores a batch (all or nothing) and returns the statement ids in order. With `put_id`,
    /// the batch is the single statement of a PUT and must carry that id or none. `received`
    /// is the body the statements were parsed from (all of them, in order): they are stored
    /// as sent, minified, with the LRS-set properties spliced in. Without it, the typed
    /// statements are serialized.
    pub async fn store(
        &self,
        ctx: &WriteContext,
        statements: Vec<Statement>,
        received: Option<&[u8]>,
        parts: Vec<AttachmentPart>,
        put_id: Option<Uuid>,
    ) -> Result<Vec<Uuid>, Error> {
        if statements.is_empty() {
            return Err(Error::BadRequest("no statements in the request".into()));
        }
        let prepared = prepare(ctx, statements, received, parts, put_id)?;
        let ids = prepared.statements.iter().map(|s| s.id).collect();
        // Back-pressure: nothing is acknowledged faster than the projection can take it for
        // long (the unprojected tail is held in memory).
        if !self.tail.admit(self.backlog.max, self.backlog.wait).await {
            let (len, bytes) = self.tail.size();
            return Err(Error::Unavailable(format!(
                "the LRS is behind on indexing ({len} statements, {} MiB waiting); retry later",
                bytes >> 20
            )));
        }
        self.writer.append(prepared).await?;
        Ok(ids)
    }

    /// A statement by id. `voided` selects `voidedStatementId` semantics (only voided statements)
    /// over `statementId` (only statements that are not voided).
    pub async fn get(
        &self,
        store: StoreId,
        id: Uuid,
        voided: bool,
    ) -> Result<FoundStatement, Error> {
        // A hot-cache hit answers on this task: only the voided check touches the embedded
        // store, a point lookup that bloom filters and the block cache keep in memory.
        if let Some(hit) = self.cache.get(&(store, id)) {
            metrics::counter!("cairn_statement_cache_lookups_total", "result" => "hit")
                .increment(1);
            return self.finish(store, id, voided, hit);
        }
        metrics::counter!("cairn_statement_cache_lookups_total", "result" => "miss").increment(1);
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.get_blocking(store, id, voided))
            .await
            .map_err(|e| Error::Internal(e.to_string()))?
    }

    fn finish(
        &self,
        store: StoreId,
        id: Uuid,
        voided: bool,
        (seq, record): (u64, Arc<StatementRecord>),
    ) -> Result<FoundStatement, Error> {
        let is_voided = record.voids.is_none() && self.log.voided_by(store, id)?.is_some();
        if is_voided != voided {
            return Err(Error::NotFound);
        }
        Ok(FoundStatement { seq, record })
    }

    fn get_blocking(
        &self,
        store: StoreId,
        id: Uuid,
        voided: bool,
    ) -> Result<FoundStatement, Error> {
        let hit = match self.cache.get(&(store, id)) {
            Some(hit) => hit,
            None => {
                let seq = self.log.statement_seq(store, id)?.ok_or(Error::NotFound)?;
                let record = self.record(seq)?.ok_or(Error::NotFound)?;
                self.cache.insert((store, id), (seq, record.clone()));
                (seq, record)
            }
        };
        self.finish(store, id, voided, hit)
    }

    fn record(&self, seq: u64) -> Result<Option<Arc<StatementRecord>>, Error> {
        Ok(self.log.event(seq)?.and_then(|e| match e {
            Event::Statement(r) => Some(r),
            Event::Document(_)
            | Event::Tenancy(_)
            | Event::Persona(_)
            | Event::Dashboard(_)
            | Event::Forwarder(_)
            | Event::Purge(_)
            | Event::Audit(_) => None,
        }))
    }

    /// The window for a first page: everything committed so far.
    pub fn first_page(&self, limit: usize) -> Page {
        Page {
            max_seq: self.writer.last_seq(),
            after: None,
            limit,
        }
    }

    /// One page of a filtered query: ClickHouse up to the projection watermark, the in-memory
    /// tail beyond it, voided statements removed.
    pub async fn query(&self, q: &StatementQuery, page: Page) -> Result<QueryPage, Error> {
        if let Some(out) = self.index_query(q, page).await? {
            metrics::counter!("cairn_statement_queries_total", "source" => "key_index")
                .increment(1);
            return Ok(Self::paged(out, page));
        }
        metrics::counter!("cairn_statement_queries_total", "source" => "projection").increment(1);
        let mut out: Vec<FoundStatement> = Vec::with_capacity(page.limit.min(1024));
        let mut window = page;
        let want = page.limit.saturating_add(1);
        let mut budget = self.degraded_scan_max;
        // The projection reads `since` / `until` as log positions too: the same statements,
        // found by its primary key.
        let bounded = self.time_bounds(q, page.max_seq).await?;
        loop {
            let probe = Page {
                limit: want - out.len(),
                ..window
            };
            let (watermark, tail_hits) = self.tail.query(q, &probe);
            let mut seqs: Vec<(u64, Option<Arc<StatementRecord>>)> =
                tail_hits.into_iter().map(|(s, r)| (s, Some(r))).collect();
            let projected = watermark.min(window.max_seq);
            if projected > 0 {
                let ch_page = Page {
                    max_seq: projected,
                    ..probe
                };
                match self.projected_seqs(&bounded, &ch_page).await? {
                    Some(ch) => seqs.extend(ch.into_iter().map(|s| (s, None))),
                    None => {
                        let (hits, left) = self.scan_log(q, ch_page, budget).await?;
                        budget = left;
                        seqs.extend(hits.into_iter().map(|(s, r)| (s, Some(r))));
                    }
                }
            }
            if q.ascending {
                seqs.sort_by_key(|(s, _)| *s);
            } else {
                seqs.sort_by_key(|(s, _)| std::cmp::Reverse(*s));
            }
            seqs.dedup_by_key(|(s, _)| *s);
            seqs.truncate(probe.limit);
            let exhausted = seqs.len() < probe.limit;
            let last = seqs.last().map(|(s, _)| *s);
            let this = self.clone();
            let store = q.store;
            let found = tokio::task::spawn_blocking(move || this.resolve(store, seqs))
                .await
                .map_err(|e| Error::Internal(e.to_string()))??;
            out.extend(found);
            if exhausted || out.len() >= want {
                break;
            }
            window.after = last;
        }
        Ok(Self::paged(out, page))
    }

    /// The page from up to `page.limit + 1` statements found: the one past the limit only
    /// tells that there is a next page.
    fn paged(mut out: Vec<FoundStatement>, page: Page) -> QueryPage {
        let next = if out.len() > page.limit {
            out.truncate(page.limit);
            Some(Page {
                after: out.last().map(|f| f.seq),
                ..page
            })
        } else {
            None
        };
        QueryPage {
            statements: out,
            next,
        }
    }

    /// The page from the embedded key index, or `None` when the index is not built yet, is
    /// turned off, or would take more than `read_index_scan_max` entries for this page.
    async fn index_query(
        &self,
        q: &StatementQuery,
        page: Page,
    ) -> Result<Option<Vec<FoundStatement>>, Error> {
        if self.index_scan_max == 0 || !self.log.key_index_ready() {
            return Ok(None);
        }
        let (log, timeline, q) = (self.log.clone(), self.timeline.clone(), q.clone());
        let max = self.index_scan_max;
        let hits = tokio::task::spawn_blocking(move || {
            let q = if q.since_us.is_some() || q.until_us.is_some() {
                timeline.bounds(&*log, &q, page.max_seq)?
            } else {
                q
            };
            crate::key_index::page(&*log, &q, &page, max)
        })
        .await
        .map_err(|e| Error::Internal(e.to_string()))??;
        Ok(hits.map(|h| {
            h.into_iter()
                .map(|(seq, record)| FoundStatement { seq, record })
                .collect()
        }))
    }

    /// `q` with the log positions that its `since` / `until` imply, up to `max_seq`.
    async fn time_bounds(&self, q: &StatementQuery, max_seq: u64) -> Result<StatementQuery, Error> {
        if q.since_us.is_none() && q.until_us.is_none() {
            return Ok(q.clone());
        }
        let (log, timeline, q) = (self.log.clone(), self.timeline.clone(), q.clone());
        tokio::task::spawn_blocking(move || timeline.bounds(&*log, &q, max_seq))
            .await
            .map_err(|e| Error::Internal(e.to_string()))?
            .map_err(Error::from)
    }

    /// The projection's matches, or `None` when it cannot be reached (degraded mode).
    async fn projected_seqs(
        &self,
        q: &StatementQuery,
        page: &Page,
    ) -> Result<Option<Vec<u64>>, Error> {
        if !self.status.is_up() {
            return Ok(None);
        }
        match self.projection.query_seqs(q, page).await {
            Ok(seqs) => Ok(Some(seqs)),
            Err(e) if e.is_unavailable() => {
                if self.status.set_down() {
                    tracing::warn!(error = %e, "ClickHouse cannot be reached; filtered statement reads use the log until it answers");
                }
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Degraded mode: the log's matches inside `page`, reading at most `budget` entries.
    async fn scan_log(
        &self,
        q: &StatementQuery,
        page: Page,
        mut budget: usize,
    ) -> Result<(Vec<(u64, Arc<StatementRecord>)>, usize), Error> {
        let log = self.log.clone();
        let q = q.clone();
        let max = self.degraded_scan_max;
        tokio::task::spawn_blocking(move || {
            crate::degraded::scan_log(&*log, &q, &page, &mut budget, max).map(|h| (h, budget))
        })
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
    }

    /// Loads records for sequence numbers and drops voided statements.
    fn resolve(
        &self,
        store: StoreId,
        seqs: Vec<(u64, Option<Arc<StatementRecord>>)>,
    ) -> Result<Vec<FoundStatement>, Error> {
        let mut out = Vec::with_capacity(seqs.len());
        for (seq, rec) in seqs {
            let record = match rec {
                Some(r) => r,
                None => match self.record(seq)? {
                    Some(r) => r,
                    None => continue,
                },
            };
            if record.store != store {
                continue;
            }
            if record.voids.is_none() && self.log.voided_by(store, record.id)?.is_some() {
                continue;
            }
            out.push(FoundStatement { seq, record });
        }
        Ok(out)
    }

    pub async fn attachment(&self, store: StoreId, sha2: &str) -> Result<Option<Bytes>, Error> {
        let log = self.log.clone();
        let sha2 = sha2.to_owned();
        tokio::task::spawn_blocking(move || log.attachment(store, &sha2))
            .await
            .map_err(|e| Error::Internal(e.to_string()))?
            .map_err(Error::from)
    }
}
