//! The one typed configuration: defaults, then a TOML file, then `CAIRN_*` environment
//! variables, then command-line flags. Validated once at start-up.
//!
//! [`Config`] is one flat struct: every setting is a top-level key of the file and one `CAIRN_*`
//! variable, and serde's `deny_unknown_fields` does not work with flattened sections. Its
//! defaults, checks and derived settings are kept by area in the submodules: [`values`] (the
//! types of settings that are not plain numbers or strings), `defaults`, `storage` (the embedded
//! store, the writer and the projection to ClickHouse), `http` (listener, TLS, sessions, rate
//! limits, client secrets), `analytics` (filters, dashboards, analytics requests), `forwarding`,
//! `telemetry` (logs, metrics, traces, readiness) and `sign_in`.
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;

mod analytics;
mod defaults;
mod forwarding;
mod http;
mod sign_in;
mod storage;
mod telemetry;
#[cfg(test)]
mod tests;
pub mod values;

pub use storage::{clickhouse_ca_certs, clickhouse_compression};
pub use values::{LogBackend, LogFormat, MetricsAddr, RoleSetting, XapiVersionSetting};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Log filter in `tracing` syntax, e.g. `info` or `cairn_core=debug,info` (`CAIRN_LOG`).
    /// The storage engine's own messages are kept at `warn` unless the filter names `fjall` or
    /// `lsm_tree`.
    pub log: String,
    /// Log lines as `text` (for people) or `json` (one object per line, for log collectors).
    pub log_format: LogFormat,
    /// Where Prometheus scrapes `/metrics`: an address, or `off` (`CAIRN_METRICS_ADDR`).
    pub metrics_addr: MetricsAddr,
    /// An OTLP/HTTP collector receiving traces, e.g. `http://127.0.0.1:4318` or
    /// `https://collector.example.org:4318` (unset: no traces).
    pub otlp_endpoint: Option<String>,
    /// A PEM file of CA certificates trusted for an `https://` `otlp_endpoint`, besides the
    /// public web roots (a private CA). Unset: the public roots only.
    pub otlp_ca_file: Option<PathBuf>,
    /// Share of requests and projector batches traced, from 0.0 to 1.0 (a request carrying a
    /// sampled `traceparent` is not affected: its caller decided).
    pub trace_sample_ratio: f64,
    /// How long `/health/ready` waits for ClickHouse to answer, in milliseconds.
    pub ready_clickhouse_timeout_ms: u64,
    /// `/health/ready` answers 503 once the oldest unprojected statement waits longer than this
    /// many seconds (0: lag never makes Cairn not ready).
    pub ready_max_lag_seconds: u64,
    /// Where the HTTP server listens (`CAIRN_HTTP_ADDR`).
    pub http_addr: SocketAddr,
    /// The embedded store's directory (`CAIRN_DATA_DIR`).
    pub data_dir: PathBuf,
    /// ClickHouse's HTTP interface (`CAIRN_CLICKHOUSE_URL`).
    pub clickhouse_url: String,
    pub clickhouse_database: String,
    pub clickhouse_user: String,
    pub clickhouse_password: String,
    /// LZ4-compress what travels to and from ClickHouse. Worth it when ClickHouse is across a
    /// network; on the same machine it only costs CPU on both sides. Unset: LZ4 unless
    /// `clickhouse_url` names a loopback address ([`clickhouse_compression`]).
    pub clickhouse_compression: Option<bool>,
    /// A PEM file of certificates to trust for an `https://` ClickHouse besides the public
    /// roots (a private certificate authority). Unset: the public roots only.
    pub clickhouse_ca_file: Option<PathBuf>,
    /// The ClickHouse cluster (a `remote_servers` entry) to create the schema on, with
    /// replicated tables and `Distributed` tables over the shards. Unset: one server.
    pub clickhouse_cluster: Option<String>,
    /// Basic-auth credentials of the default store's client; generated once when unset.
    pub default_client_key: Option<String>,
    pub default_client_secret: Option<String>,
    /// `embedded` (one node) or `jetstream` (a cluster sharing a NATS JetStream log).
    pub log_backend: LogBackend,
    /// The NATS servers of the JetStream cluster (`log_backend = "jetstream"`).
    pub nats_urls: Vec<String>,
    /// The JetStream stream holding the log.
    pub jetstream_stream: String,
    /// Copies JetStream keeps of the log (an append is acknowledged by a majority of them).
    pub jetstream_replicas: usize,
    /// How long connecting to NATS, one append or one read may take, in milliseconds.
    pub jetstream_timeout_ms: u64,
    /// How often a node looks for other nodes' appends it was not told of, in milliseconds.
    pub jetstream_follow_interval_ms: u64,
    /// Cluster nodes share one ClickHouse database (`clickhouse_database`), which only the
    /// holder of the projection lease writes; unset: each node projects into its own database.
    pub projection_shared: bool,
    /// How long the projection lease lasts without being renewed, in milliseconds: the most a
    /// failed node's share of the projection waits before another node takes it over.
    pub projection_lease_ms: u64,
    /// With `projection_shared`: the projection split into this many partitions by a hash of
    /// the store id, each with its own lease, so that several nodes project at once (1: one
    /// node projects everything). The same on every node.
    pub projection_partitions: u32,
    /// How long the forwarding lease lasts without being renewed, in milliseconds (cluster
    /// mode): the most a failed node's forwarders wait before another node takes them over.
    pub forwarding_lease_ms: u64,
    /// How long a node whose part of a purge is done waits for the purge's Finished event in
    /// the log before it appends the event itself, in milliseconds (cluster mode: the node
    /// that decided the purge may never come back).
    pub purge_finish_takeover_ms: u64,
    /// Requests waiting for the group-commit writer.
    pub writer_queue_capacity: usize,
    /// Requests committed together under one fsync.
    pub writer_max_group: usize,
    /// Statements per ClickHouse insert.
    pub projector_batch_max: usize,
    /// How long the projector lets a batch smaller than `projector_batch_min` fill, in ms.
    pub projector_linger_ms: u64,
    /// Statements the projector inserts without waiting for more.
    pub projector_batch_min: usize,
    /// At start-up, an unprojected backlog beyond this many events is projected before serving
    /// instead of being held in memory.
    pub projector_recover_tail_max: usize,
    /// Unprojected statements held in memory before statement writes wait for the projection
    /// (back-pressure; 0: no bound).
    pub ingest_backlog_max: usize,
    /// Memory those unprojected statements may take, in MiB, before statement writes wait
    /// (0: no bound).
    pub ingest_backlog_mib: usize,
    /// How long a statement write waits for room before it is refused with 503, in milliseconds.
    pub ingest_backlog_wait_ms: u64,
    /// Statements kept in the by-id hot cache.
    pub statement_cache_entries: u64,
    /// Block cache of the embedded store, in MiB.
    pub store_cache_mib: u64,
    /// Write-ahead journal the embedded store keeps on disk at most (about), in MiB; at least 64.
    pub store_journal_mib: u64,
    /// Largest page of statements.
    pub page_max: usize,
    /// Largest request body, in MiB.
    pub max_body_mib: usize,
    /// Largest State / Activity Profile / Agent Profile document, in KiB.
    pub max_document_kib: usize,
    /// The xAPI version named on refusals of unversioned requests from clients that never sent one.
    pub xapi_default_version: XapiVersionSetting,
    /// Mark the admin session cookie `Secure`. Unset: on when Cairn serves HTTPS itself
    /// (`tls_cert_file`); set it to true when a TLS-terminating proxy is in front.
    pub cookie_secure: Option<bool>,
    /// Serve HTTPS with this PEM certificate chain and PEM private key (both or neither).
    pub tls_cert_file: Option<PathBuf>,
    pub tls_key_file: Option<PathBuf>,
    /// How often the certificate files are checked for a renewal, in seconds (0: only on SIGHUP).
    pub tls_reload_seconds: u64,
    /// An admin session ends after this many minutes without use.
    pub session_idle_minutes: u64,
    /// xAPI requests per second allowed to one client (0: unlimited), and its burst.
    pub rate_limit_client_per_second: u32,
    pub rate_limit_client_burst: u32,
    /// Admin-API requests per second allowed to one user (0: unlimited), and its burst.
    pub rate_limit_user_per_second: u32,
    pub rate_limit_user_burst: u32,
    /// Login attempts per email per minute (0: unlimited).
    pub login_attempts_per_minute: u32,
    /// Failed xAPI authentications per client key per minute (0: unlimited); past it, the key
    /// is refused with 429 until the minute's budget refills, right secret or not.
    pub auth_failures_per_minute: u32,
    /// Failed xAPI authentications per source address per minute (0: unlimited).
    pub auth_failures_per_minute_address: u32,
    /// Shortest client secret accepted (the configured default client's included), in characters.
    pub client_secret_min_chars: usize,
    /// Origins besides Cairn's own from which the admin API accepts writes authenticated by the
    /// session cookie, e.g. `["https://admin.example.org"]`.
    pub admin_allowed_origins: Vec<String>,
    /// CSV rows of a persona import applied per writer request.
    pub persona_import_batch_rows: usize,
    /// Parsed CSV batches of a persona import waiting to be applied (bounded channel).
    pub persona_import_queue_batches: usize,
    /// The built web app, served at `/` (relative to the working directory).
    pub web_dir: PathBuf,
    /// Widgets one dashboard may hold.
    pub dashboard_widgets_max: usize,
    /// Live share links one dashboard may have (revoked ones do not count).
    pub dashboard_links_max: usize,
    /// Origins one share link may list.
    pub link_domains_max: usize,
    /// Longest dashboard, widget or link name (and description), in characters.
    pub dashboard_name_max_chars: usize,
    /// Largest widget query, widget options or dashboard filter, in KiB of JSON.
    pub dashboard_json_max_kib: usize,
    /// Saved filters one store may hold.
    pub saved_filters_max: usize,
    /// Nodes (`and`, `or`, `not`, conditions) of a filter (analytics, dashboards, saved filters,
    /// share links, forwarders: checked in core wherever a filter is accepted).
    pub filter_max_nodes: usize,
    /// Values a filter compares with (every `in` item and `eq`, all counted).
    pub filter_max_values: usize,
    /// Bytes of the longest string in a filter.
    pub filter_max_string_bytes: usize,
    /// Distinct buckets one numeric-bucket dimension of an aggregate may produce.
    pub aggregate_buckets_max: u64,
    /// Steps of a funnel request.
    pub funnel_steps_max: usize,
    /// Ids of one names request.
    pub names_ids_max: usize,
    /// While ClickHouse cannot be reached, filtered statement reads scan the log: at most this
    /// many log entries per request (beyond: 503).
    pub degraded_read_scan_max: usize,
    /// Entries of the embedded key index one filtered statement read may examine before it
    /// asks ClickHouse instead (0: filtered reads always ask ClickHouse).
    pub read_index_scan_max: usize,
    /// Statements one erasure may remove (beyond: 400, split it).
    pub purge_max_statements: usize,
    /// Analytics queries (aggregates, funnels, autocomplete) stop after this many seconds (503).
    pub analytics_max_execution_seconds: u64,
    /// Memory one analytics query or export may use in ClickHouse, in MiB (400 beyond).
    pub analytics_max_memory_mb: u64,
    /// Statement forwarders one store may have (docs/forwarding.md).
    pub forwarders_per_store_max: usize,
    /// The largest batch (statements per request) a forwarder may ask for.
    pub forward_batch_max: u32,
    /// Allow forwarding to loopback, private and link-local addresses (closed networks, tests).
    pub forward_allow_private_targets: bool,
    /// Tries of one batch before it becomes a dead letter.
    pub forward_retry_max_attempts: u32,
    /// How long one batch may keep failing before it becomes a dead letter, in seconds.
    pub forward_retry_max_age_seconds: u64,
    /// The wait after a batch's first failure, in milliseconds; it doubles with each failure.
    pub forward_backoff_initial_ms: u64,
    /// The longest wait between two tries, in milliseconds (`Retry-After` is capped by it too).
    pub forward_backoff_max_ms: u64,
    /// How long connecting to a target may take, in milliseconds.
    pub forward_connect_timeout_ms: u64,
    /// How long one whole request to a target may take, in milliseconds.
    pub forward_request_timeout_ms: u64,
    /// Log entries a forwarder reads at a time.
    pub forward_scan_entries: usize,
    /// Log entries a forwarder's status reads to count its lag exactly (beyond: a lower bound).
    pub forward_lag_count_max: usize,
    /// Batches one forwarder keeps in flight at once (1 keeps strict order at the target).
    pub forward_in_flight: usize,
    /// Bytes of a target's error body kept in the status and dead letters.
    pub forward_error_body_max_bytes: usize,
    /// The address people open Cairn at, e.g. `https://lrs.example.org` (unset: the scheme and
    /// `http_addr`). The set-up link and the default OpenID redirect URL start with it.
    pub public_url: Option<String>,
    /// How long the first run's set-up link works, in hours (each start prints a new one while
    /// no site administrator exists).
    pub setup_link_hours: u64,
    /// Sign-in with email and password (false: single sign-on only; needs `oidc_issuer_url`).
    pub password_login: bool,
    /// Single sign-on with OpenID Connect: the provider's issuer URL (unset: off), Cairn's
    /// client id and secret there, and the redirect URL registered there (unset:
    /// `<public_url>/api/v1/auth/oidc/callback`). See docs/sso.md.
    pub oidc_issuer_url: Option<String>,
    pub oidc_client_id: Option<String>,
    pub oidc_client_secret: Option<String>,
    pub oidc_redirect_url: Option<String>,
    /// Shown on the sign-in button: "Sign in with <name>".
    pub oidc_provider_name: String,
    /// Email domains allowed to sign in with single sign-on, e.g. `["example.org"]` (empty: any).
    pub oidc_email_domains: Vec<String>,
    /// The role a user created by their first single sign-on gets in the default
    /// organisation: `viewer`, `analyst`, `admin`, `owner` or `none`.
    pub oidc_default_role: RoleSetting,
    /// How long a person may take at the provider before the sign-in must start again, in minutes.
    pub oidc_flow_minutes: u64,
    /// Single sign-ons in progress remembered at most.
    pub oidc_flows_max: u64,
    /// The provider's metadata and keys are fetched again after this many minutes (and at once
    /// when a token names an unknown key).
    pub oidc_metadata_refresh_minutes: u64,
    /// A call to the provider gives up after this many seconds.
    pub oidc_http_timeout_seconds: u64,
    /// Where scheduled backups are written (unset: no scheduled backups).
    pub backup_dir: Option<PathBuf>,
    /// Minutes between two scheduled backups.
    pub backup_interval_minutes: u64,
    /// Scheduled backups keep at least this many newest generations restorable.
    pub backup_keep: usize,
    /// A backup generation is full rather than incremental once this many generations would
    /// otherwise depend on one another.
    pub backup_full_every: u64,
    /// Where month archives are written and restored from (`cairn archive`, store retention;
    /// unset: archiving is refused unless the command names a directory).
    pub archive_dir: Option<PathBuf>,
    /// Minutes between two runs of the retention job (it also runs at start-up), which archives
    /// the months older than each store's retention.
    pub retention_interval_minutes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Load(#[from] Box<figment::Error>),
    #[error("configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// Loads the layers. `file` is optional; `overrides` are the flags given on the command line.
    pub fn load(file: Option<&std::path::Path>, overrides: Figment) -> Result<Self, ConfigError> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(f) = file {
            fig = fig.merge(Toml::file_exact(f));
        }
        // Unknown keys in the file are errors (`deny_unknown_fields`); unknown `CAIRN_*`
        // variables are only left out (the environment is shared with other programs), and
        // `serve` warns about them (see [`Config::unknown_env_vars`]).
        let known = Self::setting_names();
        let cfg: Config = fig
            .merge(
                Env::prefixed("CAIRN_")
                    .filter(move |k| known.contains(&k.as_str().to_ascii_lowercase())),
            )
            .merge(overrides)
            .extract()
            .map_err(Box::new)?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// The names of every setting, lower case (as `CAIRN_*` variables name them).
    fn setting_names() -> std::collections::HashSet<String> {
        match serde_json::to_value(Config::default()) {
            Ok(serde_json::Value::Object(m)) => m.into_iter().map(|(k, _)| k).collect(),
            _ => Default::default(),
        }
    }

    /// `CAIRN_*` environment variables that name no setting, and so are ignored. `CAIRN_TEST_*`
    /// belongs to the test suite (e.g. `CAIRN_TEST_CLICKHOUSE_URL`) and is not reported.
    pub fn unknown_env_vars() -> Vec<String> {
        let known = Self::setting_names();
        let mut out: Vec<String> = std::env::vars_os()
            .filter_map(|(k, _)| k.into_string().ok())
            .filter(|k| {
                k.strip_prefix("CAIRN_").is_some_and(|rest| {
                    let rest = rest.to_ascii_lowercase();
                    !rest.starts_with("test_") && !known.contains(&rest)
                })
            })
            .collect();
        out.sort();
        out
    }

    /// Checks every setting; the first problem found is the error.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_storage()?;
        self.validate_http()?;
        self.validate_analytics()?;
        self.validate_forwarding()?;
        self.validate_telemetry()?;
        self.validate_sign_in()
    }
}

/// The first of `settings` that is 0, as an error naming it.
fn positive(settings: &[(&str, usize)]) -> Result<(), ConfigError> {
    match settings.iter().find(|(_, v)| *v == 0) {
        Some((name, _)) => Err(ConfigError::Invalid(format!(
            "{name} must be greater than 0"
        ))),
        None => Ok(()),
    }
}
