//! The one typed configuration: defaults, then a TOML file, then `CAIRN_*` environment
//! variables, then command-line flags. Validated once at start-up.
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;

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
    /// An OTLP/HTTP collector receiving traces, e.g. `http://127.0.0.1:4318` (unset: no traces).
    pub otlp_endpoint: Option<String>,
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
    /// network; on the same machine it only costs CPU on both sides.
    pub clickhouse_compression: bool,
    /// Basic-auth credentials of the default store's client; generated once when unset.
    pub default_client_key: Option<String>,
    pub default_client_secret: Option<String>,
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
    /// How long a statement write waits for room before it is refused with 503, in milliseconds.
    pub ingest_backlog_wait_ms: u64,
    /// Statements kept in the by-id hot cache.
    pub statement_cache_entries: u64,
    /// Block cache of the embedded store, in MiB.
    pub store_cache_mib: u64,
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
    /// Nodes (`and`, `or`, `not`, conditions) of an analytics filter.
    pub filter_max_nodes: usize,
    /// Values an analytics filter compares with (every `in` item and `eq`, all counted).
    pub filter_max_values: usize,
    /// Bytes of the longest string in an analytics filter.
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
}

/// `oidc_default_role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RoleSetting {
    None,
    Viewer,
    Analyst,
    Admin,
    Owner,
}

/// `log_format`: `"text"` or `"json"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// `metrics_addr`: a socket address such as `"127.0.0.1:9464"` (port 0: any free port), or
/// `"off"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum MetricsAddr {
    Off,
    At(SocketAddr),
}

impl TryFrom<String> for MetricsAddr {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("off") {
            return Ok(MetricsAddr::Off);
        }
        s.parse().map(MetricsAddr::At).map_err(|_| {
            format!("metrics_addr must be an address such as 127.0.0.1:9464 or \"off\", not {s:?}")
        })
    }
}

impl MetricsAddr {
    /// As written in configuration.
    pub fn to_string_lossy(self) -> String {
        self.into()
    }
}

impl From<MetricsAddr> for String {
    fn from(a: MetricsAddr) -> String {
        match a {
            MetricsAddr::Off => "off".into(),
            MetricsAddr::At(addr) => addr.to_string(),
        }
    }
}

/// `"1.0.3"` or `"2.0.0"` in configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum XapiVersionSetting {
    #[serde(rename = "1.0.3")]
    V1_0_3,
    #[serde(rename = "2.0.0")]
    V2_0_0,
}

impl From<XapiVersionSetting> for cairn_xapi::XapiVersion {
    fn from(v: XapiVersionSetting) -> Self {
        match v {
            XapiVersionSetting::V1_0_3 => cairn_xapi::XapiVersion::V1_0_3,
            XapiVersionSetting::V2_0_0 => cairn_xapi::XapiVersion::V2_0_0,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        let filter = cairn_filter::Limits::default();
        Config {
            log: "info".into(),
            log_format: LogFormat::Text,
            metrics_addr: MetricsAddr::At("127.0.0.1:9464".parse().expect("valid default address")),
            otlp_endpoint: None,
            trace_sample_ratio: 0.1,
            ready_clickhouse_timeout_ms: 1_000,
            ready_max_lag_seconds: 300,
            http_addr: "127.0.0.1:8080".parse().expect("valid default address"),
            data_dir: PathBuf::from("var/data"),
            clickhouse_url: "http://127.0.0.1:8123".into(),
            clickhouse_database: "cairn".into(),
            clickhouse_user: "default".into(),
            clickhouse_password: String::new(),
            clickhouse_compression: true,
            default_client_key: None,
            default_client_secret: None,
            writer_queue_capacity: 4096,
            writer_max_group: 512,
            persona_import_batch_rows: 500,
            persona_import_queue_batches: 4,
            aggregate_buckets_max: 1000,
            funnel_steps_max: 8,
            names_ids_max: 200,
            projector_batch_max: 40_000,
            projector_linger_ms: 1_000,
            projector_batch_min: 5_000,
            projector_recover_tail_max: 100_000,
            ingest_backlog_max: 100_000,
            ingest_backlog_wait_ms: 10_000,
            statement_cache_entries: 50_000,
            store_cache_mib: 256,
            page_max: 500,
            max_body_mib: 64,
            max_document_kib: 16 << 10,
            xapi_default_version: XapiVersionSetting::V2_0_0,
            cookie_secure: None,
            tls_cert_file: None,
            tls_key_file: None,
            tls_reload_seconds: 300,
            session_idle_minutes: 8 * 60,
            rate_limit_client_per_second: 20_000,
            rate_limit_client_burst: 40_000,
            rate_limit_user_per_second: 50,
            rate_limit_user_burst: 100,
            login_attempts_per_minute: 10,
            auth_failures_per_minute: 20,
            auth_failures_per_minute_address: 60,
            client_secret_min_chars: 16,
            admin_allowed_origins: Vec::new(),
            web_dir: PathBuf::from("dashboards/dist"),
            dashboard_widgets_max: 50,
            dashboard_links_max: 20,
            link_domains_max: 20,
            dashboard_name_max_chars: 200,
            dashboard_json_max_kib: 16,
            saved_filters_max: 200,
            filter_max_nodes: filter.max_nodes,
            filter_max_values: filter.max_values,
            filter_max_string_bytes: filter.max_string_bytes,
            degraded_read_scan_max: cairn_core::statements::DEGRADED_SCAN_MAX,
            analytics_max_execution_seconds: 60,
            analytics_max_memory_mb: 4096,
            public_url: None,
            setup_link_hours: 24,
            password_login: true,
            oidc_issuer_url: None,
            oidc_client_id: None,
            oidc_client_secret: None,
            oidc_redirect_url: None,
            oidc_provider_name: "single sign-on".into(),
            oidc_email_domains: Vec::new(),
            oidc_default_role: RoleSetting::Viewer,
            oidc_flow_minutes: 10,
            oidc_flows_max: 10_000,
            oidc_metadata_refresh_minutes: 60,
            oidc_http_timeout_seconds: 10,
            forwarders_per_store_max: 20,
            forward_batch_max: 1000,
            forward_allow_private_targets: false,
            forward_retry_max_attempts: 12,
            forward_retry_max_age_seconds: 3600,
            forward_backoff_initial_ms: 500,
            forward_backoff_max_ms: 60_000,
            forward_connect_timeout_ms: 5_000,
            forward_request_timeout_ms: 30_000,
            forward_scan_entries: 4096,
            forward_lag_count_max: 100_000,
            forward_error_body_max_bytes: 1024,
            backup_dir: None,
            backup_interval_minutes: 24 * 60,
            backup_keep: 7,
            backup_full_every: 7,
        }
    }
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

    pub fn validate(&self) -> Result<(), ConfigError> {
        let positive = [
            ("writer_queue_capacity", self.writer_queue_capacity),
            ("persona_import_batch_rows", self.persona_import_batch_rows),
            (
                "persona_import_queue_batches",
                self.persona_import_queue_batches,
            ),
            ("writer_max_group", self.writer_max_group),
            ("projector_batch_max", self.projector_batch_max),
            ("page_max", self.page_max),
            ("max_body_mib", self.max_body_mib),
            ("max_document_kib", self.max_document_kib),
            ("session_idle_minutes", self.session_idle_minutes as usize),
            ("dashboard_widgets_max", self.dashboard_widgets_max),
            ("dashboard_name_max_chars", self.dashboard_name_max_chars),
            ("dashboard_json_max_kib", self.dashboard_json_max_kib),
            ("saved_filters_max", self.saved_filters_max),
            (
                "backup_interval_minutes",
                self.backup_interval_minutes as usize,
            ),
            ("backup_keep", self.backup_keep),
            ("backup_full_every", self.backup_full_every as usize),
            ("forwarders_per_store_max", self.forwarders_per_store_max),
            ("forward_batch_max", self.forward_batch_max as usize),
            (
                "forward_retry_max_attempts",
                self.forward_retry_max_attempts as usize,
            ),
            (
                "forward_backoff_initial_ms",
                self.forward_backoff_initial_ms as usize,
            ),
            (
                "forward_backoff_max_ms",
                self.forward_backoff_max_ms as usize,
            ),
            (
                "forward_connect_timeout_ms",
                self.forward_connect_timeout_ms as usize,
            ),
            (
                "forward_request_timeout_ms",
                self.forward_request_timeout_ms as usize,
            ),
            ("forward_scan_entries", self.forward_scan_entries),
            ("forward_lag_count_max", self.forward_lag_count_max),
            ("filter_max_nodes", self.filter_max_nodes),
            ("filter_max_values", self.filter_max_values),
            ("filter_max_string_bytes", self.filter_max_string_bytes),
            ("aggregate_buckets_max", self.aggregate_buckets_max as usize),
            ("names_ids_max", self.names_ids_max),
            (
                "ready_clickhouse_timeout_ms",
                self.ready_clickhouse_timeout_ms as usize,
            ),
            ("degraded_read_scan_max", self.degraded_read_scan_max),
            (
                "analytics_max_execution_seconds",
                self.analytics_max_execution_seconds as usize,
            ),
            (
                "analytics_max_memory_mb",
                self.analytics_max_memory_mb as usize,
            ),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(ConfigError::Invalid(format!(
                "{name} must be greater than 0"
            )));
        }
        if !self.clickhouse_url.starts_with("http://")
            && !self.clickhouse_url.starts_with("https://")
        {
            return Err(ConfigError::Invalid(format!(
                "clickhouse_url must be an http(s) URL, not {:?}",
                self.clickhouse_url
            )));
        }
        if !(0.0..=1.0).contains(&self.trace_sample_ratio) {
            return Err(ConfigError::Invalid(format!(
                "trace_sample_ratio must be between 0.0 and 1.0, not {}",
                self.trace_sample_ratio
            )));
        }
        if let Some(e) = &self.otlp_endpoint
            && !e.starts_with("http://")
        {
            return Err(ConfigError::Invalid(format!(
                "otlp_endpoint must be an http:// URL (OTLP over HTTP), not {e:?}"
            )));
        }
        if self.funnel_steps_max < 2 {
            return Err(ConfigError::Invalid(
                "funnel_steps_max must be at least 2".into(),
            ));
        }
        if self.tls_cert_file.is_some() != self.tls_key_file.is_some() {
            return Err(ConfigError::Invalid(
                "tls_cert_file and tls_key_file must be set together".into(),
            ));
        }
        if self.default_client_key.is_some() != self.default_client_secret.is_some() {
            return Err(ConfigError::Invalid(
                "default_client_key and default_client_secret must be set together".into(),
            ));
        }
        if let Some(s) = &self.default_client_secret
            && s.chars().count() < self.client_secret_min_chars
        {
            return Err(ConfigError::Invalid(format!(
                "default_client_secret has {} characters; client_secret_min_chars asks for at \
                 least {} (a long random string, e.g. `openssl rand -hex 24`)",
                s.chars().count(),
                self.client_secret_min_chars
            )));
        }
        if let Some(o) = self
            .admin_allowed_origins
            .iter()
            .find(|o| !o.starts_with("http://") && !o.starts_with("https://"))
        {
            return Err(ConfigError::Invalid(format!(
                "admin_allowed_origins: {o:?} is not an origin (scheme://host[:port])"
            )));
        }
        self.validate_sign_in()
    }

    /// The certificate files when Cairn serves HTTPS itself.
    pub fn tls(&self) -> Option<crate::tls::TlsFiles> {
        Some(crate::tls::TlsFiles {
            cert: self.tls_cert_file.clone()?,
            key: self.tls_key_file.clone()?,
        })
    }

    /// Whether the session cookie is marked `Secure`: as set, else when serving HTTPS.
    pub fn cookie_is_secure(&self) -> bool {
        self.cookie_secure.unwrap_or(self.tls_cert_file.is_some())
    }

    /// The limits on dashboards.
    pub fn dashboard_limits(&self) -> cairn_core::dashboards::DashboardLimits {
        cairn_core::dashboards::DashboardLimits {
            widgets_per_dashboard: self.dashboard_widgets_max,
            links_per_dashboard: self.dashboard_links_max,
            domains_per_link: self.link_domains_max,
            name_chars: self.dashboard_name_max_chars,
            json_bytes: self.dashboard_json_max_kib << 10,
            filters_per_store: self.saved_filters_max,
        }
    }

    /// The bounds on an analytics filter's size.
    pub fn filter_limits(&self) -> cairn_filter::Limits {
        cairn_filter::Limits {
            max_nodes: self.filter_max_nodes,
            max_values: self.filter_max_values,
            max_string_bytes: self.filter_max_string_bytes,
        }
    }

    /// The limits of the analytics requests.
    pub fn analytics_limits(&self) -> cairn_core::analytics::AnalyticsLimits {
        cairn_core::analytics::AnalyticsLimits {
            buckets_max: self.aggregate_buckets_max,
            funnel_steps_max: self.funnel_steps_max,
            names_max: self.names_ids_max,
        }
    }

    /// What `/health/ready` checks against.
    pub fn health_config(&self) -> cairn_core::health::HealthConfig {
        cairn_core::health::HealthConfig {
            clickhouse_timeout: std::time::Duration::from_millis(self.ready_clickhouse_timeout_ms),
            max_lag: (self.ready_max_lag_seconds > 0)
                .then(|| std::time::Duration::from_secs(self.ready_max_lag_seconds)),
        }
    }

    /// The HTTP adapter's rate limits.
    pub fn rate_limits(&self) -> cairn_http::limits::RateLimitConfig {
        use cairn_http::limits::{Rate, RateLimitConfig};
        RateLimitConfig {
            client: Rate {
                per_second: self.rate_limit_client_per_second,
                burst: self.rate_limit_client_burst,
            },
            user: Rate {
                per_second: self.rate_limit_user_per_second,
                burst: self.rate_limit_user_burst,
            },
            login_per_minute: self.login_attempts_per_minute,
            auth_failures_per_minute: self.auth_failures_per_minute,
            auth_failures_per_minute_address: self.auth_failures_per_minute_address,
        }
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closures return figment::Error
mod tests {
    use super::*;

    #[test]
    fn layers_apply_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "cairn.toml",
                "http_addr = \"127.0.0.1:9000\"\npage_max = 7\n",
            )?;
            jail.set_env("CAIRN_PAGE_MAX", "9");
            let flags = Figment::new().merge(Serialized::default("clickhouse_database", "flagged"));
            let cfg =
                Config::load(Some("cairn.toml".as_ref()), flags).map_err(|e| e.to_string())?;
            assert_eq!(cfg.http_addr.port(), 9000);
            assert_eq!(cfg.page_max, 9, "env beats the file");
            assert_eq!(cfg.clickhouse_database, "flagged", "flags beat env");
            Ok(())
        });
    }

    #[test]
    fn rejects_invalid_values() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("CAIRN_PAGE_MAX", "0");
            let err = Config::load(None, Figment::new()).unwrap_err().to_string();
            assert!(err.contains("page_max"), "{err}");
            jail.set_env("CAIRN_PAGE_MAX", "5");
            jail.set_env("CAIRN_DEFAULT_CLIENT_KEY", "only-key");
            let err = Config::load(None, Figment::new()).unwrap_err().to_string();
            assert!(err.contains("together"), "{err}");
            // A one-character default secret was accepted.
            jail.set_env("CAIRN_DEFAULT_CLIENT_SECRET", "x");
            let err = Config::load(None, Figment::new()).unwrap_err().to_string();
            assert!(err.contains("client_secret_min_chars"), "{err}");
            jail.set_env("CAIRN_DEFAULT_CLIENT_SECRET", "0123456789abcdef");
            assert!(Config::load(None, Figment::new()).is_ok());
            jail.set_env("CAIRN_ADMIN_ALLOWED_ORIGINS", "[admin.example.org]");
            let err = Config::load(None, Figment::new()).unwrap_err().to_string();
            assert!(err.contains("admin_allowed_origins"), "{err}");
            jail.set_env("CAIRN_ADMIN_ALLOWED_ORIGINS", "[]");
            // Backups: off by default; a schedule needs a positive interval and count.
            let cfg = Config::load(None, Figment::new()).unwrap();
            assert_eq!(cfg.backup_dir, None);
            assert_eq!((cfg.backup_interval_minutes, cfg.backup_keep), (1440, 7));
            jail.set_env("CAIRN_BACKUP_DIR", "/backups");
            jail.set_env("CAIRN_BACKUP_KEEP", "0");
            let err = Config::load(None, Figment::new()).unwrap_err().to_string();
            assert!(err.contains("backup_keep"), "{err}");
            jail.set_env("CAIRN_BACKUP_KEEP", "3");
            let cfg = Config::load(None, Figment::new()).unwrap();
            assert_eq!(cfg.backup_dir, Some("/backups".into()));
            Ok(())
        });
    }

    /// An unknown `CAIRN_*` variable stopped the server at start-up: it is now ignored (and
    /// reported for a warning), while an unknown key in the file still fails.
    #[test]
    fn unknown_env_vars_are_reported_unknown_file_keys_fail() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("CAIRN_NO_SUCH_SETTING", "1");
            jail.set_env("CAIRN_TEST_ANYTHING", "1");
            jail.set_env("CAIRN_PAGE_MAX", "9");
            let cfg = Config::load(None, Figment::new()).map_err(|e| e.to_string())?;
            assert_eq!(cfg.page_max, 9, "known variables still apply");
            let unknown = Config::unknown_env_vars();
            assert!(
                unknown.contains(&"CAIRN_NO_SUCH_SETTING".to_owned()),
                "{unknown:?}"
            );
            assert!(
                !unknown
                    .iter()
                    .any(|k| k == "CAIRN_PAGE_MAX" || k == "CAIRN_TEST_ANYTHING")
            );
            jail.create_file("cairn.toml", "no_such_setting = 1\n")?;
            let err = Config::load(Some("cairn.toml".as_ref()), Figment::new())
                .unwrap_err()
                .to_string();
            assert!(err.contains("no_such_setting"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn observability_settings() {
        figment::Jail::expect_with(|jail| {
            let cfg = Config::load(None, Figment::new()).map_err(|e| e.to_string())?;
            assert_eq!(cfg.metrics_addr.to_string_lossy(), "127.0.0.1:9464");
            assert_eq!(cfg.log_format, LogFormat::Text);
            assert_eq!(cfg.otlp_endpoint, None, "traces are off by default");
            jail.set_env("CAIRN_METRICS_ADDR", "OFF");
            jail.set_env("CAIRN_LOG_FORMAT", "json");
            jail.set_env("CAIRN_OTLP_ENDPOINT", "http://127.0.0.1:4318");
            let cfg = Config::load(None, Figment::new()).map_err(|e| e.to_string())?;
            assert_eq!(cfg.metrics_addr, MetricsAddr::Off);
            assert_eq!(cfg.log_format, LogFormat::Json);
            assert_eq!(cfg.otlp_endpoint.as_deref(), Some("http://127.0.0.1:4318"));
            jail.set_env("CAIRN_METRICS_ADDR", "127.0.0.1:0");
            let cfg = Config::load(None, Figment::new()).map_err(|e| e.to_string())?;
            assert_eq!(cfg.metrics_addr.to_string_lossy(), "127.0.0.1:0");
            for (var, bad, named) in [
                ("CAIRN_METRICS_ADDR", "everywhere", "metrics_addr"),
                ("CAIRN_LOG_FORMAT", "xml", "log_format"),
                ("CAIRN_TRACE_SAMPLE_RATIO", "1.5", "trace_sample_ratio"),
                ("CAIRN_OTLP_ENDPOINT", "grpc://collector", "otlp_endpoint"),
                (
                    "CAIRN_READY_CLICKHOUSE_TIMEOUT_MS",
                    "0",
                    "ready_clickhouse_timeout_ms",
                ),
            ] {
                jail.set_env(var, bad);
                let err = Config::load(None, Figment::new()).unwrap_err().to_string();
                assert!(err.to_lowercase().contains(named), "{var}={bad}: {err}");
                jail.clear_env();
            }
            jail.create_file("cairn.toml", "metrics_adr = \"off\"\n")?;
            let err = Config::load(Some("cairn.toml".as_ref()), Figment::new())
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("metrics_adr"),
                "unknown keys are refused: {err}"
            );
            Ok(())
        });
    }
}
