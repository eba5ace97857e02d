//! Wiring: builds every component from the configuration and runs them until shutdown.
use crate::archive::retention::Decider;
use crate::config::{Config, MetricsAddr};
use anyhow::Context;
use cairn_clickhouse::{ClickHouseConfig, ClickHouseProjection};
use cairn_core::dashboards::{DashboardService, Dashboards};
use cairn_core::documents::{DocumentConfig, DocumentService};
use cairn_core::forwarding::{ForwarderService, Forwarders, Hub};
use cairn_core::health::Health;
use cairn_core::personas::{PersonaService, PersonaServiceConfig, Personas};
use cairn_core::ports::{LogStore, Projection};
use cairn_core::purge::run::Purger;
use cairn_core::purge::service::ErasureService;
use cairn_core::purge::shared::SharedProjection;
use cairn_core::statements::{BacklogLimit, StatementService};
use cairn_core::tenancy::{Registry, TenancyConfig, TenancyService};
use cairn_core::writer::{Writer, WriterConfig};
use cairn_core::{StatementRecord, StoreId};
use cairn_http::{AppState, HttpConfig};
use cairn_store::FjallStore;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use uuid::Uuid;

mod commands;
mod first_run;
mod projectors;

pub use commands::{migrate, reproject};

pub use first_run::{BOOTSTRAPPED_META, CURSOR_KEY_FILE, bootstrap, cursor_key};

pub fn open_store(cfg: &Config) -> anyhow::Result<Arc<FjallStore>> {
    crate::backup::check_not_restoring(&cfg.data_dir)?;
    std::fs::create_dir_all(&cfg.data_dir)
        .with_context(|| format!("cannot create data dir {}", cfg.data_dir.display()))?;
    Ok(Arc::new(FjallStore::open_with_journal(
        &cfg.data_dir.join("store"),
        cfg.store_cache_mib << 20,
        cfg.store_journal_mib << 20,
    )?))
}

/// A data directory made before the statement key index existed (or restored from a backup
/// by an older version) has its index built from the log on a thread of its own; filtered
/// reads ask ClickHouse until it is complete.
fn build_key_index(store: &Arc<FjallStore>) -> anyhow::Result<()> {
    if store.key_index_complete() {
        return Ok(());
    }
    let store = store.clone();
    std::thread::Builder::new()
        .name("key-index-build".into())
        .spawn(move || {
            tracing::info!(
                "building the statement key index from the log; filtered statement reads ask ClickHouse until it is done"
            );
            let started = std::time::Instant::now();
            match store.build_key_index() {
                Ok(n) => tracing::info!(
                    statements = n,
                    seconds = started.elapsed().as_secs(),
                    "the statement key index is built"
                ),
                Err(e) => tracing::error!(error = %e, "the statement key index could not be built; filtered statement reads keep asking ClickHouse"),
            }
        })?;
    Ok(())
}

/// The ClickHouse settings of the configuration.
pub fn clickhouse_config(cfg: &Config) -> ClickHouseConfig {
    ClickHouseConfig {
        url: cfg.clickhouse_url.clone(),
        database: cfg.clickhouse_database.clone(),
        user: Some(cfg.clickhouse_user.clone()),
        password: (!cfg.clickhouse_password.is_empty()).then(|| cfg.clickhouse_password.clone()),
        compression: crate::config::clickhouse_compression(
            &cfg.clickhouse_url,
            cfg.clickhouse_compression,
        ),
        analytics_max_execution: Duration::from_secs(cfg.analytics_max_execution_seconds),
        analytics_max_memory_bytes: cfg.analytics_max_memory_mb << 20,
        // Checked when the configuration was loaded; a file gone since is reported here.
        ca_certs: match &cfg.clickhouse_ca_file {
            Some(path) => crate::config::clickhouse_ca_certs(path).unwrap_or_else(|e| {
                tracing::error!(error = %e, "ClickHouse certificates not loaded");
                Vec::new()
            }),
            None => Vec::new(),
        },
        cluster: cfg.clickhouse_cluster.clone(),
        ..ClickHouseConfig::default()
    }
}

/// The projection, migrated (for `migrate` and `reproject`, which need ClickHouse).
pub async fn projection(cfg: &Config) -> anyhow::Result<Arc<ClickHouseProjection>> {
    let p = ClickHouseProjection::new(clickhouse_config(cfg));
    p.migrate().await?;
    Ok(Arc::new(p))
}

/// The tenancy service, with a writer that can change it.
pub fn tenancy(
    cfg: &Config,
    writer: &cairn_core::writer::WriterHandle,
    registry: Arc<Registry>,
) -> TenancyService {
    TenancyService::new(
        registry,
        writer.clone(),
        TenancyConfig {
            session_idle: Duration::from_secs(cfg.session_idle_minutes * 60),
            client_secret_min_chars: cfg.client_secret_min_chars,
            ..TenancyConfig::default()
        },
    )
}

/// A running server.
pub struct Running {
    pub addr: std::net::SocketAddr,
    /// Where `/metrics` is served (`None`: `metrics_addr` is off).
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// The default client's key and secret when this start generated them (shown once).
    pub client: Option<(String, String)>,
    /// The first run's set-up link, while no site administrator exists (shown once).
    pub setup_link: Option<String>,
    shutdown: watch::Sender<bool>,
    server: tokio::task::JoinHandle<()>,
    metrics: Option<tokio::task::JoinHandle<()>>,
    projector: tokio::task::JoinHandle<()>,
    store_failed: watch::Receiver<Option<String>>,
    writer: std::thread::JoinHandle<()>,
    forwarding: Hub,
    /// The retention job, the control socket, the backup schedule and (cluster mode) the log
    /// follower.
    background: Vec<tokio::task::JoinHandle<()>>,
    /// Month archives (the control socket's `archive` and `restore`).
    pub(crate) archives: crate::archive::Archives,
}

impl Running {
    /// Resolves once the embedded store has refused a write, with its error: the node can no
    /// longer be trusted to keep what it acknowledges and must be restarted.
    pub async fn store_failed(&mut self) -> String {
        match self.store_failed.wait_for(Option::is_some).await {
            Ok(e) => e.clone().unwrap_or_default(),
            // The writer is gone without a failure: nothing will ever fail.
            Err(_) => std::future::pending().await,
        }
    }

    /// Resolves when asked to stop (or when the server fails).
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        self.forwarding.stop_all().await;
        // The hub and the archives hold writer handles: the writer thread ends once every
        // handle is gone.
        drop(self.forwarding);
        drop(self.archives);
        let _ = self.server.await;
        if let Some(m) = self.metrics {
            let _ = m.await;
        }
        let _ = self.projector.await;
        for task in self.background {
            let _ = task.await;
        }
        let _ = tokio::task::spawn_blocking(move || self.writer.join()).await;
    }
}

/// Builds and starts everything; returns once the server is accepting connections.
pub async fn start(cfg: Config) -> anyhow::Result<Running> {
    let store = open_store(&cfg)?;
    build_key_index(&store)?;
    let backups = cfg.clone();
    let mut running = start_on(cfg, store.clone()).await?;
    running.background.extend(crate::backup::spawn(
        &backups,
        store,
        running.archives.clone(),
        running.shutdown.subscribe(),
    )?);
    Ok(running)
}

/// [`start`] on an opened log store (tests wrap the embedded store to make it fail).
pub async fn start_on(cfg: Config, log: Arc<dyn LogStore>) -> anyhow::Result<Running> {
    let data_dir = cfg.data_dir.clone();
    let cursor_key = tokio::task::spawn_blocking(move || cursor_key(&data_dir)).await??;
    // Not reached yet: the projector migrates it, now or once it answers (degraded mode).
    let clickhouse = Arc::new(ClickHouseProjection::new(clickhouse_config(&cfg)));
    let measured = Arc::new(crate::measured::Measured(clickhouse.clone()));
    // Statement bodies of exports and statement pages come from the log, not ClickHouse.
    let analytics: Arc<dyn cairn_core::analytics::Analytics> = Arc::new(
        cairn_core::analytics::bodies::WithBodies::new(measured.clone(), log.clone()),
    );
    let projection: Arc<dyn Projection> = measured;
    let replicated = crate::cluster::connect(&cfg).await?;
    let bucket = crate::cluster::bucket(&cfg, replicated.as_ref()).await?;
    let node_id = crate::cluster::node_id(&cfg);
    let leases = crate::projection_leases::start(&cfg, bucket.as_ref(), &node_id).await?;
    let projectors::Projectors {
        list: projectors,
        tail,
        status,
        progress_rx,
        gate,
        scoped,
        start,
    } = projectors::build(&cfg, &log, &clickhouse, &projection, leases.as_ref())?;
    let projector = &projectors[0];
    // A backlog too long for the tail is projected before serving: its progress is shown like
    // `cairn reproject`'s.
    let mut backlog: Option<crate::progress::Progress> = None;
    let recovered = if leases.is_some() {
        // Only the lease's holder touches the shared database, once its keeper says so.
        projector.recover_from(start).await.map(|()| start)
    } else {
        projector
            .recover_reporting(|done, total| {
                backlog
                    .get_or_insert_with(|| {
                        crate::progress::Progress::new(
                            "projecting the backlog before serving",
                            "events",
                            total,
                        )
                    })
                    .set(done, total)
            })
            .await
    };
    if let Some(p) = backlog {
        p.finish();
    }
    if let Err(e) = recovered {
        tracing::warn!(
            error = %e,
            url = %cfg.clickhouse_url,
            "ClickHouse cannot be reached or migrated: serving in degraded mode (statements are \
             accepted and read from the log; analytics answer 503) until it answers"
        );
        projector.recover_offline().await?;
    }
    let cache: moka::sync::Cache<(StoreId, Uuid), (u64, Arc<StatementRecord>)> =
        moka::sync::Cache::new(cfg.statement_cache_entries);
    let registry = Arc::new(Registry::load(&*log)?);
    let personas = Arc::new(Personas::load(&*log)?);
    let dashboards = Arc::new(Dashboards::load(&*log, cfg.dashboard_limits())?);
    let forwarders = Arc::new(Forwarders::load(&*log, cfg.forwarding_limits())?);
    let timeline = Arc::new(cairn_core::timeline::Timeline::load(&*log)?);
    let writer = Writer::new(
        log.clone(),
        tail.clone(),
        WriterConfig {
            queue_capacity: cfg.writer_queue_capacity,
            max_group: cfg.writer_max_group,
            ..WriterConfig::default()
        },
    )
    .with_tenancy(registry.clone())
    .with_personas(personas.clone())
    .with_dashboards(dashboards.clone())
    .with_forwarders(forwarders.clone())
    .with_timeline(timeline.clone());
    let writer = match &replicated {
        Some(r) => writer.with_replicated(r.clone()),
        None => writer,
    };
    let (writer, writer_join) = writer.spawn()?;
    if replicated.is_some() {
        // What the other nodes wrote is applied before this node decides anything itself.
        writer.catch_up().await?;
    }
    let health = Health::new(
        writer.clone(),
        projection.clone(),
        tail.clone(),
        cfg.health_config(),
    );
    let store_failed = writer.failed();
    let tenancy = tenancy(&cfg, &writer, registry);
    let shared_purges = crate::projection_leases::purges(leases.as_ref(), bucket.as_ref(), scoped)
        .map(|parts| Arc::new(SharedProjection::new(parts, tail.clone(), gate.clone())));
    let purger = Purger::new(log.clone(), projection.clone(), writer.clone(), gate)
        .with_cache(cache.clone())
        .with_personas(personas.clone());
    let purger = Arc::new(match &replicated {
        Some(r) => purger.clustered(shared_purges, r.clone()),
        None => purger,
    });
    let erasures = ErasureService::new(
        log.clone(),
        purger.clone(),
        tenancy.clone(),
        cfg.purge_max_statements as u64,
    )
    .with_matcher(crate::forwarding::matcher())
    .with_filter_limits(cfg.filter_limits());
    let personas = PersonaService::new(
        personas,
        writer.clone(),
        tenancy.clone(),
        PersonaServiceConfig {
            import_batch_rows: cfg.persona_import_batch_rows,
            import_queue_batches: cfg.persona_import_queue_batches,
            ..PersonaServiceConfig::default()
        },
    );
    let audit = cairn_core::audit::AuditService::new(log.clone(), writer.clone(), tenancy.clone())
        .with_dashboards(dashboards.clone());
    let dashboards = DashboardService::new(dashboards, writer.clone(), tenancy.clone())
        .with_analytics_limits(cfg.analytics_limits());
    let client = bootstrap(&cfg, &*log, &tenancy).await?;
    let setup_token = tenancy.new_setup_link(cfg.setup_link_valid_for()).await?;
    let hub = Hub::new(
        log.clone(),
        writer.clone(),
        forwarders.clone(),
        Arc::new(crate::forwarding::HttpDeliver::new(&cfg).map_err(anyhow::Error::msg)?),
        crate::forwarding::matcher(),
        cfg.delivery_settings(),
    );
    let hub = match crate::cluster::forwarding(&cfg, bucket.as_ref(), &node_id).await {
        Some(c) => hub.clustered(c),
        None => hub,
    };
    // In a cluster the forwarding lease's holder also decides each retention run.
    let decider = hub.lease().map_or_else(Default::default, Decider::lease);
    // In a cluster, dead letters this node kept from before go to the cluster's bucket.
    let moved = hub
        .migrate_dead_letters()
        .await
        .map_err(|e| anyhow::anyhow!("cannot move this node's dead letters to the cluster: {e}"))?;
    if moved > 0 {
        tracing::info!(
            moved,
            "moved this node's dead letters into the cluster's bucket"
        );
    }
    hub.sync().await?;
    let forwarding =
        ForwarderService::new(forwarders, writer.clone(), tenancy.clone(), hub.clone());
    let (shutdown, shutdown_rx) = watch::channel(false);
    let mut background = Vec::new();
    if let Some(r) = &replicated {
        let every = Duration::from_millis(cfg.jetstream_follow_interval_ms);
        background
            .push(crate::cluster::follow(r, writer.clone(), every, shutdown_rx.clone()).await?);
    }
    if replicated.is_some() {
        background.push(crate::cluster::purges(
            writer.purges_begun(),
            purger.clone(),
            Duration::from_millis(cfg.jetstream_follow_interval_ms).max(Duration::from_secs(1)),
            shutdown_rx.clone(),
        ));
        background.push(crate::cluster::finish_takeovers(
            purger.clone(),
            Duration::from_millis(cfg.purge_finish_takeover_ms),
            shutdown_rx.clone(),
        ));
    }
    if let Some(l) = &leases {
        let every = crate::cluster::lease_every(&cfg, cfg.projection_lease_ms);
        background.push(l.spawn(every, shutdown_rx.clone()));
    }
    // Ends at the hub's clean stop, after the forwarding lease was handed back.
    if let Some(task) = hub.run_lease(crate::cluster::lease_every(&cfg, cfg.forwarding_lease_ms)) {
        background.push(task);
    }
    let committed = writer.subscribe();
    let documents = DocumentService::new(
        log.clone(),
        writer.clone(),
        DocumentConfig {
            max_bytes: cfg.max_document_kib << 10,
        },
    );
    let sso_tenancy = tenancy.clone();
    let job_tenancy = tenancy.clone();
    let archive_writer = writer.clone();
    let statements = StatementService::new(log.clone(), writer, tail, cache, projection)
        .with_backlog_limit(BacklogLimit {
            max: cairn_core::tail::Bound {
                statements: cfg.ingest_backlog_max,
                bytes: cfg.ingest_backlog_mib << 20,
            },
            wait: Duration::from_millis(cfg.ingest_backlog_wait_ms),
        })
        .with_degraded(status, cfg.degraded_read_scan_max)
        .with_key_index(cfg.read_index_scan_max)
        .with_timeline(timeline);
    let archives = crate::archive::Archives::new(
        log,
        purger.clone(),
        archive_writer,
        statements.timeline(),
        cfg.purge_max_statements as u64,
        cfg.archive_dir
            .as_ref()
            .map(std::path::absolute)
            .transpose()?,
    );
    let state = AppState::new(
        statements,
        documents,
        Arc::new(tenancy.clone()),
        HttpConfig {
            max_body_bytes: cfg.max_body_mib << 20,
            page_max: cfg.page_max,
            default_version: cfg.xapi_default_version.into(),
            cookie_secure: cfg.cookie_is_secure(),
            rate_limits: cfg.rate_limits(),
            web_dir: Some(cfg.web_dir.clone()),
            analytics: cfg.analytics_limits(),
            admin_allowed_origins: cfg.admin_allowed_origins.clone(),
            cursor_key,
            password_login: cfg.password_login,
        },
    )
    .with_tenancy(tenancy)
    .with_personas(personas)
    .with_analytics(analytics)
    .with_dashboards(dashboards)
    .with_forwarders(forwarding)
    .with_erasures(erasures)
    .with_audit(audit)
    .with_progress(progress_rx)
    .with_health(health.clone());
    let listener = tokio::net::TcpListener::bind(cfg.http_addr)
        .await
        .with_context(|| format!("cannot listen on {}", cfg.http_addr))?;
    let addr = listener.local_addr()?;
    let base = cfg.public_base(addr);
    let state = match crate::sign_in::sso(&cfg, &base, sso_tenancy).map_err(anyhow::Error::msg)? {
        Some(sso) => state.with_sso(sso),
        None => state,
    };
    let setup_link = setup_token.map(|t| format!("{base}/setup#token={t}"));
    let (metrics_addr, metrics) = match cfg.metrics_addr {
        MetricsAddr::At(at) => {
            let (bound, task) = crate::metrics::serve(at, health, shutdown_rx.clone()).await?;
            (Some(bound), Some(task))
        }
        MetricsAddr::Off => (None, None),
    };
    let app = crate::telemetry::request_layers(cairn_http::app(state));
    // The peer's address is what failed authentications are counted against.
    let svc = axum::ServiceExt::<axum::extract::Request>::into_make_service_with_connect_info::<
        std::net::SocketAddr,
    >(app.clone());
    let mut rx = shutdown_rx.clone();
    let stopped = async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let server = match cfg.tls() {
        None => tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, svc)
                .with_graceful_shutdown(stopped)
                .await
            {
                tracing::error!(error = %e, "http server failed");
            }
        }),
        Some(files) => {
            let tls = crate::tls::load(&files).await?;
            let every =
                (cfg.tls_reload_seconds > 0).then(|| Duration::from_secs(cfg.tls_reload_seconds));
            crate::tls::spawn_reloader(tls.clone(), files, every, shutdown_rx.clone());
            let listener = listener.into_std()?;
            let handle = axum_server::Handle::new();
            let on_stop = handle.clone();
            tokio::spawn(async move {
                stopped.await;
                on_stop.graceful_shutdown(Some(Duration::from_secs(10)));
            });
            let https = axum_server::from_tcp_rustls(listener, tls)
                .with_context(|| format!("cannot serve HTTPS on {addr}"))?
                .handle(handle);
            // The HTTPS server hands over hyper's request bodies; the app takes axum's.
            let app = tower::ServiceExt::map_request(
                app,
                |r: axum::http::Request<hyper::body::Incoming>| r.map(axum::body::Body::new),
            );
            let svc = axum::ServiceExt::<axum::http::Request<hyper::body::Incoming>>::into_make_service_with_connect_info::<std::net::SocketAddr>(app);
            tokio::spawn(async move {
                if let Err(e) = https.serve(svc).await {
                    tracing::error!(error = %e, "https server failed");
                }
            })
        }
    };
    // A purge (erasure, retention) that a crash interrupted is finished now that the projector
    // runs; then the retention job starts.
    let retention = crate::archive::retention::spawn(
        archives.clone(),
        job_tenancy,
        purger,
        Duration::from_secs(cfg.retention_interval_minutes * 60),
        decider,
        shutdown_rx.clone(),
    );
    let projector = projectors::spawn(projectors, committed, shutdown_rx);
    Ok(Running {
        addr,
        metrics_addr,
        client,
        setup_link,
        shutdown,
        server,
        metrics,
        projector,
        store_failed,
        writer: writer_join,
        forwarding: hub,
        background: {
            background.push(retention);
            background
        },
        archives,
    })
}
