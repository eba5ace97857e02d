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
    pub log: String,
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
    /// Mark the admin session cookie `Secure`: set when clients reach Cairn over TLS (directly
    /// or through a proxy).
    pub cookie_secure: bool,
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
            cookie_secure: false,
            session_idle_minutes: 8 * 60,
            rate_limit_client_per_second: 20_000,
            rate_limit_client_burst: 40_000,
            rate_limit_user_per_second: 50,
            rate_limit_user_burst: 100,
            login_attempts_per_minute: 10,
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
        let cfg: Config = fig
            // CAIRN_TEST_* belongs to the test suite (e.g. CAIRN_TEST_CLICKHOUSE_URL).
            .merge(
                Env::prefixed("CAIRN_")
                    .filter(|k| !k.as_str().to_ascii_lowercase().starts_with("test_")),
            )
            .merge(overrides)
            .extract()
            .map_err(Box::new)?;
        cfg.validate()?;
        Ok(cfg)
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
            ("filter_max_nodes", self.filter_max_nodes),
            ("filter_max_values", self.filter_max_values),
            ("filter_max_string_bytes", self.filter_max_string_bytes),
            ("aggregate_buckets_max", self.aggregate_buckets_max as usize),
            ("names_ids_max", self.names_ids_max),
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
        if self.funnel_steps_max < 2 {
            return Err(ConfigError::Invalid(
                "funnel_steps_max must be at least 2".into(),
            ));
        }
        if self.default_client_key.is_some() != self.default_client_secret.is_some() {
            return Err(ConfigError::Invalid(
                "default_client_key and default_client_secret must be set together".into(),
            ));
        }
        Ok(())
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
            Ok(())
        });
    }
}
