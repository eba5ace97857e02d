//! `cairn`: the Cairn LRS binary. `cairn serve` runs the server, `cairn migrate` applies the
//! ClickHouse migrations, `cairn reproject` rebuilds the projection from the event log,
//! `cairn openapi` prints the admin API's OpenAPI document, `cairn backup` and `cairn restore`
//! back the data directory up and restore it.
use cairn_server::{admin_cli, app, backup, config, telemetry};

use clap::{Parser, Subcommand};
use figment::Figment;
use figment::providers::Serialized;
use std::path::PathBuf;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "cairn",
    version,
    about = "Cairn: an xAPI Learning Record Store with analytics built in"
)]
struct Cli {
    /// A TOML configuration file.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Listen address (overrides CAIRN_HTTP_ADDR).
    #[arg(long, global = true)]
    http_addr: Option<String>,
    /// Data directory (overrides CAIRN_DATA_DIR).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// ClickHouse HTTP URL (overrides CAIRN_CLICKHOUSE_URL).
    #[arg(long, global = true)]
    clickhouse_url: Option<String>,
    /// ClickHouse database (overrides CAIRN_CLICKHOUSE_DATABASE).
    #[arg(long, global = true)]
    clickhouse_database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the LRS.
    Serve,
    /// Apply ClickHouse migrations and exit.
    Migrate,
    /// Rebuild the ClickHouse projection from the event log and exit (stop the server first).
    Reproject,
    /// Write the next backup generation into DIR, while the server runs (or while it is stopped).
    Backup {
        /// The backup directory (created when missing); one subdirectory per generation.
        dir: PathBuf,
    },
    /// Restore a backup into the data directory, which must be empty or missing; `cairn serve`
    /// then rebuilds ClickHouse from the restored log.
    Restore {
        /// The backup directory.
        dir: PathBuf,
        /// The generation to restore (default: the newest).
        #[arg(long)]
        generation: Option<u64>,
    },
    /// Archive a month of a store, restore it, or list the archives (through the running server).
    #[command(subcommand)]
    Archive(cairn_server::archive::cli::ArchiveCommand),
    /// Move a single-node installation into a new cluster: append its data directory (stopped)
    /// to the cluster's empty JetStream log; the cluster's nodes then start with empty data
    /// directories and rebuild everything from it. Run with the cluster's configuration.
    ClusterSeed {
        /// The single node's data directory.
        #[arg(long)]
        from: PathBuf,
        /// The largest message appended, in KiB (JetStream refuses messages over its
        /// `max_payload`, 1 MiB by default).
        #[arg(long, default_value_t = cairn_server::cluster_seed::MESSAGE_KIB_DEFAULT)]
        message_kib: usize,
    },
    /// Print the admin API's OpenAPI document (JSON) and exit.
    Openapi,
    /// Provision organisations, stores, clients and the site administrator (stop the server first).
    #[command(subcommand)]
    Admin(admin_cli::AdminCommand),
}

fn overrides(cli: &Cli) -> Figment {
    let mut f = Figment::new();
    if let Some(v) = &cli.http_addr {
        f = f.merge(Serialized::default("http_addr", v));
    }
    if let Some(v) = &cli.data_dir {
        f = f.merge(Serialized::default("data_dir", v));
    }
    if let Some(v) = &cli.clickhouse_url {
        f = f.merge(Serialized::default("clickhouse_url", v));
    }
    if let Some(v) = &cli.clickhouse_database {
        f = f.merge(Serialized::default("clickhouse_database", v));
    }
    f
}

/// Registers the SIGINT and SIGTERM handlers now, so that a signal that arrives while the node is
/// starting (the listener may already answer) ends it cleanly instead of killing it; the returned
/// future completes on the first of them.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        async move {
            tokio::select! { _ = int.recv() => {}, _ = term.recv() => {} }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    if let Command::Openapi = cli.command {
        let written = cairn_http::admin::openapi()
            .to_pretty_json()
            .map_err(std::io::Error::other)
            .and_then(|doc| {
                use std::io::Write;
                let mut out = std::io::stdout().lock();
                writeln!(out, "{doc}").and_then(|()| out.flush())
            });
        match written {
            // The reader stopped early (`cairn openapi | head`): nothing more to say.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            Err(e) => {
                eprintln!("cairn: {e}");
                std::process::exit(1);
            }
            Ok(()) => {}
        }
        return;
    }
    let cfg = match config::Config::load(cli.config.as_deref(), overrides(&cli)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let telemetry = telemetry::init(&cfg).unwrap_or_else(|e| {
        eprintln!("configuration: {e}");
        std::process::exit(2);
    });
    for name in config::Config::unknown_env_vars() {
        tracing::warn!(
            variable = %name,
            "ignoring an environment variable that names no setting (see docs/operations.md)"
        );
    }
    let result = match cli.command {
        Command::Serve => serve(cfg).await,
        Command::Migrate => app::migrate(&cfg)
            .await
            .map(|_| println!("migrations applied")),
        Command::Reproject => app::reproject(&cfg)
            .await
            .map(|last| println!("reprojected the log up to sequence {last}")),
        Command::Admin(cmd) => admin_cli::run(&cfg, cmd).await,
        Command::Backup { dir } => backup::backup_command(&cfg, &dir).await.map(|m| {
            let kind = if m.full { "full" } else { "incremental" };
            println!(
                "backup generation {} ({kind}) written to {}, consistent to log position {}",
                m.generation,
                dir.display(),
                m.seq
            )
        }),
        Command::Restore { dir, generation } => backup::restore_command(&cfg, &dir, generation)
            .await
            .map(|m| {
                println!(
                    "restored generation {} (log position {}) into {}; `cairn serve` now \
                     rebuilds the ClickHouse projection from the log",
                    m.generation,
                    m.seq,
                    cfg.data_dir.display()
                )
            }),
        Command::Archive(cmd) => cairn_server::archive::cli::run(&cfg, cmd).await,
        Command::ClusterSeed { from, message_kib } => {
            cairn_server::cluster_seed::seed(&cfg, &from, message_kib)
                .await
                .map(|s| {
                    println!(
                        "seeded the cluster's log with {} log entries (up to position {}) in {} \
                         messages; start the cluster's nodes with empty data directories",
                        s.events, s.last_seq, s.write_sets
                    )
                })
        }
        Command::Openapi => Ok(()),
    };
    // Spans still buffered are sent before exiting (the exporter blocks: off the runtime).
    let _ = tokio::task::spawn_blocking(move || telemetry.shutdown()).await;
    if let Err(e) = result {
        // `:#` prints the causes too ("cannot listen on …: Address already in use").
        eprintln!("cairn: {e:#}");
        std::process::exit(1);
    }
}

async fn serve(cfg: config::Config) -> anyhow::Result<()> {
    let scheme = if cfg.tls().is_some() { "https" } else { "http" };
    let configured_key = cfg.default_client_key.clone();
    let setup_hours = cfg.setup_link_hours;
    let shutdown = shutdown_signal();
    let mut running = app::start(cfg).await?;
    println!("Cairn is ready.");
    println!("  xAPI endpoint: {scheme}://{}/xapi", running.addr);
    println!(
        "  admin API:     {scheme}://{}/api/v1 (OpenAPI: /api/v1/openapi.json)",
        running.addr
    );
    match (&running.client, &configured_key) {
        (Some((key, secret)), _) => {
            println!("  client key:    {key}");
            println!("  client secret: {secret}");
            println!(
                "                 (generated now and shown this once: Cairn keeps only a hash)"
            );
        }
        (None, Some(key)) => println!("  client key:    {key} (secret as configured)"),
        (None, None) => {
            println!("  clients:       see `cairn admin client list`; secrets are shown once")
        }
    }
    if let Some(addr) = running.metrics_addr {
        println!("  metrics:       http://{addr}/metrics");
    }
    if let Some(link) = &running.setup_link {
        println!("  set-up link:   {link}");
        println!(
            "                 (no site administrator yet: open the link to create one; it works \
             once, until {} hours from now, and each start prints a new one)",
            setup_hours
        );
    }
    let failure = tokio::select! {
        _ = shutdown => None,
        e = running.store_failed() => Some(e),
    };
    tracing::info!("shutting down");
    running.stop().await;
    match failure {
        // Exit non-zero so that a supervisor restarts the node: the store recovers from its
        // journal on the next start.
        Some(e) => Err(anyhow::anyhow!(
            "the embedded store refused a write ({e}); exiting so that Cairn is restarted"
        )),
        None => Ok(()),
    }
}
