//! `cairn-clickhouse` is Cairn's analytics adapter: it implements [`cairn_core::Projection`] on
//! ClickHouse over HTTP with the official `clickhouse` crate. It owns the schema migrations in
//! `schema/` (embedded into the binary and applied in order by [`Projection::migrate`]), turns
//! each [`StatementRecord`] into one row of the `statements` table (the filter keys plus typed
//! columns pulled from the statement's JSON; the JSON itself stays in Cairn's log), and answers
//! filtered statement reads with the matching sequence numbers (`read`), in parameterised SQL. It also implements the analytics port
//! ([`cairn_core::analytics::Analytics`]): the aggregate planner (`aggregate`, hourly aggregates or
//! raw table), streaming exports (`export`) and autocomplete (`values`), keeps the aggregate
//! tables exact after `discard_after` (`hourly`, `values`), and records which statements are
//! voided so aggregates leave them out (`voided`). Everything it sends stays inside the
//! SQL subset that both ClickHouse 18.16 (Debian's package) and current ClickHouse accept — see `schema/README.md`;
//! in particular rows travel as plain RowBinary (the crate's schema validation needs
//! RowBinaryWithNamesAndTypes, which 18.16 lacks, so it is turned off and the integration tests
//! read every column back instead).
//!
//! ```no_run
//! # async fn demo() -> Result<(), cairn_core::ProjectionError> {
//! use cairn_clickhouse::{ClickHouseConfig, ClickHouseProjection};
//! use cairn_core::Projection;
//! let projection = ClickHouseProjection::connect(ClickHouseConfig {
//!     url: "http://127.0.0.1:8123".into(),
//!     database: "cairn".into(),
//!     ..Default::default()
//! })
//! .await?;
//! projection.migrate().await?;
//! # Ok(()) }
//! ```

pub mod aggregate;
pub mod cluster;
pub mod export;
pub mod feed;
pub mod filter;
pub mod funnel;
pub mod hourly;
mod insert;
pub mod migrations;
pub mod partition;
pub mod persona;
pub mod purge;
mod read;
mod reconcile;
pub mod row;
pub mod samples;
pub mod sql;
mod tls;
pub mod values;
pub mod voided;
mod windows;

use cairn_core::ports::ProjectionErrorKind;
use cairn_core::{
    Page, PersonaLink, Projection, ProjectionError, Retraction, StatementQuery, StatementRecord,
};
use clickhouse::{Client, Compression, sql::Identifier};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use migrations::{MIGRATIONS, Migration};
pub use row::StatementRow;
pub use sql::{SeqQuery, SeqRange, Windows};

/// Where the projection lives and how to reach it. `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct ClickHouseConfig {
    /// The HTTP interface, e.g. `http://127.0.0.1:8123`.
    pub url: String,
    /// Database holding Cairn's tables; created by [`ClickHouseProjection::connect`] if missing.
    pub database: String,
    /// User and password; `None` leaves them to the server (its `default` user).
    pub user: Option<String>,
    pub password: Option<String>,
    /// LZ4-compress inserts and results (ClickHouse's native block compression over HTTP).
    pub compression: bool,
    /// How long `discard_after` waits for its mutations before giving up.
    pub mutation_timeout: Duration,
    /// Analytics queries (aggregates, funnels, autocomplete) stop after this long
    /// (ClickHouse's `max_execution_time`; exports stream and are not timed).
    pub analytics_max_execution: Duration,
    /// Memory one analytics query or export may use, in bytes (`max_memory_usage`).
    pub analytics_max_memory_bytes: u64,
    /// Certificates (DER) trusted for an `https://` URL besides the public roots: a private
    /// certificate authority (`clickhouse_ca_file`). Empty: the public roots only.
    pub ca_certs: Vec<Vec<u8>>,
    /// The ClickHouse cluster (`remote_servers`) holding the projection: `None` for one server.
    /// With a cluster, migrations create replicated tables and `Distributed` ones over them
    /// (see [`cluster`]).
    pub cluster: Option<String>,
}

impl Default for ClickHouseConfig {
    fn default() -> Self {
        ClickHouseConfig {
            url: "http://127.0.0.1:8123".into(),
            database: "cairn".into(),
            user: None,
            password: None,
            compression: true,
            mutation_timeout: Duration::from_secs(300),
            analytics_max_execution: Duration::from_secs(60),
            analytics_max_memory_bytes: 4096 << 20,
            ca_certs: Vec::new(),
            cluster: None,
        }
    }
}

impl std::fmt::Debug for ClickHouseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClickHouseConfig")
            .field("url", &self.url)
            .field("database", &self.database)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("compression", &self.compression)
            .field("mutation_timeout", &self.mutation_timeout)
            .field("analytics_max_execution", &self.analytics_max_execution)
            .field(
                "analytics_max_memory_bytes",
                &self.analytics_max_memory_bytes,
            )
            .field("cluster", &self.cluster)
            .finish()
    }
}

/// The ClickHouse [`Projection`]. Cheap to clone (the client is shared).
#[derive(Clone)]
pub struct ClickHouseProjection {
    client: Client,
    /// The same server without a database (to create it).
    server: Client,
    /// `client` with the analytics limits as settings of every query.
    analytics: Client,
    /// `max_memory_usage` of exports.
    export_memory: u64,
    database: String,
    mutation_timeout: Duration,
    /// The first seq window a filtered read searches (see `query_seqs`).
    read_window: u64,
    /// The cluster, in cluster mode.
    cluster: Option<String>,
    /// In cluster mode, the first seq of a failed insert whose rows may be on some shards
    /// (removed before the next insert, see `insert`).
    unsettled: Arc<std::sync::Mutex<Option<u64>>>,
    /// The partition this projection writes and cleans up ([`partition`]).
    partition: partition::Partition,
}

pub(crate) fn err(context: &str) -> impl FnOnce(clickhouse::error::Error) -> ProjectionError + '_ {
    move |e| ProjectionError::of(kind_of(&e), format!("{context}: {e}"))
}

/// What a client error means to callers: the server (or a server of its cluster) unreachable,
/// a query over a limit (by ClickHouse's error code: 159 `TIMEOUT_EXCEEDED`, 241
/// `MEMORY_LIMIT_EXCEEDED`), or else.
pub fn kind_of(e: &clickhouse::error::Error) -> ProjectionErrorKind {
    use clickhouse::error::Error as E;
    match e {
        E::Network(_) | E::TimedOut => ProjectionErrorKind::Unavailable,
        // A server of a cluster that the one Cairn talks to cannot reach (210 `NETWORK_ERROR`,
        // 209 `SOCKET_TIMEOUT`, 279 `ALL_CONNECTION_TRIES_FAILED`) is the projection being away.
        E::BadResponse(text)
            if ["Code: 209,", "Code: 210,", "Code: 279,"]
                .iter()
                .any(|c| text.contains(c)) =>
        {
            ProjectionErrorKind::Unavailable
        }
        E::BadResponse(text) => {
            if text.contains("Code: 159") {
                ProjectionErrorKind::TooSlow
            } else if text.contains("Code: 241") {
                ProjectionErrorKind::TooLarge
            } else {
                ProjectionErrorKind::Failed
            }
        }
        _ => ProjectionErrorKind::Failed,
    }
}

/// The tables that `discard_after` trims, with the column holding the sequence number of the
/// batch that wrote each row (`sql::PENDING_MUTATIONS` names them too). `voided` rows belong to
/// the batch that made their statement voided (`at_seq`), not to the statement.
/// `statements_hourly` and `query_values` are not keyed by seq: `discard_after` reconciles them
/// afterwards.
pub const SEQ_TABLES: &[(&str, &str)] = &[
    ("statements", "seq"),
    ("voids", "seq"),
    ("actor_hours", "seq"),
    ("voided", "at_seq"),
    ("statement_key_index", "seq"),
    ("persona_identifiers", "seq"),
];

impl ClickHouseProjection {
    /// Connects, creating the database when it is missing. Does not migrate.
    pub async fn connect(cfg: ClickHouseConfig) -> Result<Self, ProjectionError> {
        let p = Self::new(cfg);
        p.create_database().await?;
        Ok(p)
    }

    /// The projection on `cfg`, without reaching the server ([`Projection::migrate`] creates
    /// the database): `cairn serve` starts while ClickHouse is down.
    pub fn new(cfg: ClickHouseConfig) -> Self {
        let mut client = tls::client(&cfg.ca_certs)
            .with_url(&cfg.url)
            .with_validation(false)
            .with_compression(if cfg.compression {
                Compression::Lz4
            } else {
                Compression::None
            });
        if let Some(user) = &cfg.user {
            client = client.with_user(user);
        }
        if let Some(password) = &cfg.password {
            client = client.with_password(password);
        }
        if cfg.cluster.is_some() {
            // An insert returns once every shard has its rows (not when they are queued on this
            // server); a store's rows all live on one shard, so a subquery over a Distributed
            // table inside a query over one reads the shard's local table. Replicated tables
            // would silently drop a block equal to one inserted before, even after its rows
            // were deleted: the rows `discard_after` removes and the projector writes again,
            // and the aggregate rows a rebuild deletes and inserts again, would be lost. So
            // inserts are never deduplicated; exactly-once rests on the checkpoint, as on one
            // server (docs/ARCHITECTURE.md, "Exactly-once projection").
            client = client
                .with_setting("insert_distributed_sync", "1")
                .with_setting("distributed_product_mode", "local")
                .with_setting("insert_deduplicate", "0");
        }
        let bound = client.clone().with_database(&cfg.database);
        let analytics = bound
            .clone()
            .with_setting(
                "max_execution_time",
                cfg.analytics_max_execution.as_secs().max(1).to_string(),
            )
            .with_setting(
                "max_memory_usage",
                cfg.analytics_max_memory_bytes.to_string(),
            );
        ClickHouseProjection {
            client: bound,
            server: client,
            analytics,
            export_memory: cfg.analytics_max_memory_bytes,
            database: cfg.database,
            mutation_timeout: cfg.mutation_timeout,
            read_window: read::FIRST_WINDOW,
            cluster: cfg.cluster,
            unsettled: Arc::default(),
            partition: partition::Partition::ALL,
        }
    }

    async fn create_database(&self) -> Result<(), ProjectionError> {
        if let Some(c) = &self.cluster {
            return self
                .server
                .query(&cluster::create_database(c, &self.database))
                .execute()
                .await
                .map_err(err("create database"));
        }
        self.server
            .query(sql::CREATE_DATABASE)
            .bind(Identifier(&self.database))
            .execute()
            .await
            .map_err(err("create database"))
    }

    /// The client of analytics queries: the projection's, with the time and memory limits.
    pub fn analytics_client(&self) -> &Client {
        &self.analytics
    }

    /// `max_memory_usage` for exports, in bytes.
    pub(crate) fn export_memory(&self) -> u64 {
        self.export_memory
    }

    /// Sets the first seq window of filtered reads (at least 1). Answers never depend on it; tests
    /// use tiny windows to exercise the search across many windows.
    pub fn with_read_window(mut self, window: u64) -> Self {
        self.read_window = window.max(1);
        self
    }

    /// The underlying client, bound to the projection's database.
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn database(&self) -> &str {
        &self.database
    }

    /// Migration versions recorded in `schema_migrations`, ascending.
    pub async fn applied_migrations(&self) -> Result<Vec<u32>, ProjectionError> {
        self.client
            .query(sql::APPLIED_MIGRATIONS)
            .fetch_all::<u32>()
            .await
            .map_err(err("read schema_migrations"))
    }

    /// Highest projected sequence number (0 when empty).
    pub async fn max_seq(&self) -> Result<u64, ProjectionError> {
        self.client
            .query(sql::MAX_SEQ)
            .fetch_one::<u64>()
            .await
            .map_err(err("max seq"))
    }

    /// Drops every table and view the migrations created (for `reproject`); [`Projection::migrate`]
    /// recreates them.
    pub async fn drop_all(&self) -> Result<(), ProjectionError> {
        for object in migrations::OBJECTS {
            for stmt in self.drops(object) {
                self.client
                    .query(&stmt)
                    .execute()
                    .await
                    .map_err(err("drop"))?;
            }
        }
        Ok(())
    }

    /// Drops and recreates the schema: an empty, current projection.
    pub async fn reset(&self) -> Result<(), ProjectionError> {
        self.drop_all().await?;
        self.migrate().await
    }

    /// Waits until no mutation of the seq-keyed tables is pending (18.16 has no `mutations_sync`).
    pub(crate) async fn wait_for_mutations(&self) -> Result<(), ProjectionError> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(20);
        loop {
            let pending: u64 = self
                .client
                .query(&self.pending_mutations_sql())
                .bind(&self.database)
                .fetch_one()
                .await
                .map_err(err("poll mutations"))?;
            if pending == 0 {
                return Ok(());
            }
            if started.elapsed() > self.mutation_timeout {
                return Err(ProjectionError::new(format!(
                    "{pending} mutation(s) still running after {:?}",
                    self.mutation_timeout
                )));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(500));
        }
    }
}

#[async_trait::async_trait]
impl Projection for ClickHouseProjection {
    async fn migrate(&self) -> Result<(), ProjectionError> {
        if self.partition.k > 0 {
            // Only partition 0's holder runs DDL, so holders never migrate concurrently.
            return self.schema_current().await;
        }
        self.migrate_reporting(|_, _, _| {}).await
    }

    async fn ping(&self) -> Result<(), ProjectionError> {
        self.server
            .query("SELECT 1")
            .fetch_one::<u8>()
            .await
            .map(|_| ())
            .map_err(err("ping"))
    }

    async fn insert(
        &self,
        rows: &[(u64, Arc<StatementRecord>)],
        retractions: &[Retraction],
    ) -> Result<(), ProjectionError> {
        self.insert_batch(rows, retractions).await
    }

    async fn link_personas(&self, links: &[PersonaLink]) -> Result<(), ProjectionError> {
        persona::insert_links(&self.writer(), links).await
    }

    async fn fence(&self) -> Result<(), ProjectionError> {
        self.fence_writes().await
    }

    async fn discard_after(&self, seq: u64) -> Result<(), ProjectionError> {
        self.discard_partition_after(seq).await
    }

    async fn purge_rows(&self, plan: &cairn_core::purge::PurgePlan) -> Result<(), ProjectionError> {
        self.delete_rows(plan).await
    }

    async fn purge_aggregates(
        &self,
        plan: &cairn_core::purge::PurgePlan,
    ) -> Result<(), ProjectionError> {
        self.rebuild_aggregates(plan, None).await
    }

    async fn purge_aggregates_within(
        &self,
        plan: &cairn_core::purge::PurgePlan,
        window: &cairn_core::ports::WriteWindow,
    ) -> Result<(), ProjectionError> {
        self.rebuild_aggregates(plan, Some(window)).await
    }

    async fn query_seqs(
        &self,
        query: &StatementQuery,
        page: &Page,
    ) -> Result<Vec<u64>, ProjectionError> {
        self.read_seqs(query, page).await
    }
}

#[cfg(test)]
mod tests;
