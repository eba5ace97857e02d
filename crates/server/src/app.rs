//! Wiring: builds every component from the configuration and runs them until shutdown.
use crate::config::Config;
use cairn_clickhouse::{ClickHouseConfig, ClickHouseProjection};
use cairn_core::auth::StaticClients;
use cairn_core::documents::{DocumentConfig, DocumentService};
use cairn_core::ports::{LogStore, Projection};
use cairn_core::projector::{Projector, ProjectorConfig};
use cairn_core::statements::StatementService;
use cairn_core::tail::Tail;
use cairn_core::writer::{Writer, WriterConfig};
use cairn_core::{StatementRecord, StoreId};
use cairn_http::{AppState, HttpConfig};
use cairn_store::FjallStore;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use uuid::Uuid;

const DEFAULT_CLIENT_META: &str = "default_client";

pub fn open_store(cfg: &Config) -> anyhow_like::Result<Arc<FjallStore>> {
    std::fs::create_dir_all(&cfg.data_dir)
        .map_err(|e| format!("cannot create data dir {}: {e}", cfg.data_dir.display()))?;
    Ok(Arc::new(FjallStore::open(
        &cfg.data_dir.join("store"),
        cfg.store_cache_mib << 20,
    )?))
}

pub async fn projection(cfg: &Config) -> anyhow_like::Result<Arc<ClickHouseProjection>> {
    let ch = ClickHouseConfig {
        url: cfg.clickhouse_url.clone(),
        database: cfg.clickhouse_database.clone(),
        user: Some(cfg.clickhouse_user.clone()),
        password: (!cfg.clickhouse_password.is_empty()).then(|| cfg.clickhouse_password.clone()),
        ..ClickHouseConfig::default()
    };
    let p = ClickHouseProjection::connect(ch).await?;
    p.migrate().await?;
    Ok(Arc::new(p))
}

/// The default store's client: from the configuration, else generated once and kept in the store.
pub fn default_client(cfg: &Config, log: &dyn LogStore) -> anyhow_like::Result<(String, String)> {
    if let (Some(k), Some(s)) = (&cfg.default_client_key, &cfg.default_client_secret) {
        return Ok((k.clone(), s.clone()));
    }
    if let Some(v) = log.meta_get(DEFAULT_CLIENT_META)? {
        let text = String::from_utf8(v).map_err(|e| e.to_string())?;
        if let Some((k, s)) = text.split_once(':') {
            return Ok((k.to_owned(), s.to_owned()));
        }
    }
    let key = Uuid::new_v4().simple().to_string();
    let secret = {
        use rand::Rng;
        let bytes: [u8; 24] = rand::rng().random();
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    log.meta_put(DEFAULT_CLIENT_META, format!("{key}:{secret}").as_bytes())?;
    Ok((key, secret))
}

/// A running server.
pub struct Running {
    pub addr: std::net::SocketAddr,
    pub client: (String, String),
    shutdown: watch::Sender<bool>,
    server: tokio::task::JoinHandle<()>,
    projector: tokio::task::JoinHandle<()>,
    writer: std::thread::JoinHandle<()>,
}

impl Running {
    /// Resolves when asked to stop (or when the server fails).
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.server.await;
        let _ = self.projector.await;
        let _ = tokio::task::spawn_blocking(move || self.writer.join()).await;
    }
}

/// Builds and starts everything; returns once the server is accepting connections.
pub async fn start(cfg: Config) -> anyhow_like::Result<Running> {
    let store = open_store(&cfg)?;
    let log: Arc<dyn LogStore> = store.clone();
    let projection: Arc<dyn Projection> = projection(&cfg).await?;
    let tail = Arc::new(Tail::new(cairn_core::projector::read_checkpoint(&*log)?));
    let projector = Projector::new(
        log.clone(),
        projection.clone(),
        tail.clone(),
        ProjectorConfig {
            batch_max: cfg.projector_batch_max,
            batch_linger: Duration::from_millis(cfg.projector_linger_ms),
            ..ProjectorConfig::default()
        },
    );
    projector.recover().await?;
    let cache: moka::sync::Cache<(StoreId, Uuid), (u64, Arc<StatementRecord>)> =
        moka::sync::Cache::new(cfg.statement_cache_entries);
    let hook_cache = cache.clone();
    let (writer, writer_join) = Writer::new(
        log.clone(),
        tail.clone(),
        WriterConfig {
            queue_capacity: cfg.writer_queue_capacity,
            max_group: cfg.writer_max_group,
            ..WriterConfig::default()
        },
    )
    .with_hook(Box::new(move |records| {
        for (seq, r) in records {
            hook_cache.insert((r.store, r.id), (*seq, r.clone()));
        }
    }))
    .spawn()?;
    let client = default_client(&cfg, &*log)?;
    let auth = StaticClients::new().with_client(
        StoreId::DEFAULT,
        &client.0,
        &client.1,
        "Cairn default client",
    );
    let (shutdown, shutdown_rx) = watch::channel(false);
    let committed = writer.subscribe();
    let documents = DocumentService::new(
        log.clone(),
        writer.clone(),
        DocumentConfig {
            max_bytes: cfg.max_document_kib << 10,
        },
    );
    let statements = StatementService::new(log, writer, tail, cache, projection);
    let state = AppState::new(
        statements,
        documents,
        Arc::new(auth),
        HttpConfig {
            max_body_bytes: cfg.max_body_mib << 20,
            page_max: cfg.page_max,
            default_version: cfg.xapi_default_version.into(),
        },
    );
    let listener = tokio::net::TcpListener::bind(cfg.http_addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", cfg.http_addr))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let app = cairn_http::app(state);
    let mut rx = shutdown_rx.clone();
    let server = tokio::spawn(async move {
        let svc = axum::ServiceExt::<axum::extract::Request>::into_make_service(app);
        let stopped = async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        if let Err(e) = axum::serve(listener, svc)
            .with_graceful_shutdown(stopped)
            .await
        {
            tracing::error!(error = %e, "http server failed");
        }
    });
    let projector = tokio::spawn(projector.run(committed, shutdown_rx));
    Ok(Running {
        addr,
        client,
        shutdown,
        server,
        projector,
        writer: writer_join,
    })
}

/// Replays the whole log into an emptied projection.
pub async fn reproject(cfg: &Config) -> anyhow_like::Result<u64> {
    let store = open_store(cfg)?;
    let log: Arc<dyn LogStore> = store;
    let projection: Arc<dyn Projection> = projection(cfg).await?;
    let tail = Arc::new(Tail::new(0));
    let p = Projector::new(
        log,
        projection,
        tail,
        ProjectorConfig {
            batch_max: cfg.projector_batch_max,
            ..ProjectorConfig::default()
        },
    );
    Ok(p.reproject().await?)
}

/// A tiny boxed-error result for start-up paths, where every error ends the process with a message.
pub mod anyhow_like {
    pub type Error = Box<dyn std::error::Error + Send + Sync>;
    pub type Result<T> = std::result::Result<T, Error>;
}
