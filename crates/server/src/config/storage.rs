//! Settings of the embedded store, the writer, imports and the projection to ClickHouse.
use super::{Config, ConfigError, positive};

impl Config {
    pub(super) fn validate_storage(&self) -> Result<(), ConfigError> {
        positive(&[
            ("writer_queue_capacity", self.writer_queue_capacity),
            ("persona_import_batch_rows", self.persona_import_batch_rows),
            (
                "persona_import_queue_batches",
                self.persona_import_queue_batches,
            ),
            ("writer_max_group", self.writer_max_group),
            ("projector_batch_max", self.projector_batch_max),
            (
                "backup_interval_minutes",
                self.backup_interval_minutes as usize,
            ),
            ("backup_keep", self.backup_keep),
            ("backup_full_every", self.backup_full_every as usize),
            (
                "retention_interval_minutes",
                self.retention_interval_minutes as usize,
            ),
        ])?;
        self.validate_jetstream()?;
        let min_journal_mib = cairn_store::journal::MIN_JOURNAL_BYTES >> 20;
        let max_journal_mib = cairn_store::journal::MAX_JOURNAL_BYTES >> 20;
        if !(min_journal_mib..=max_journal_mib).contains(&self.store_journal_mib) {
            return Err(ConfigError::Invalid(format!(
                "store_journal_mib must be between {min_journal_mib} and {max_journal_mib} \
                 (MiB), not {}",
                self.store_journal_mib
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
        if let Some(path) = &self.clickhouse_ca_file {
            if !self.clickhouse_url.starts_with("https://") {
                return Err(ConfigError::Invalid(
                    "clickhouse_ca_file needs an https:// clickhouse_url".into(),
                ));
            }
            clickhouse_ca_certs(path).map_err(ConfigError::Invalid)?;
        }
        if let Some(cluster) = &self.clickhouse_cluster {
            // Both names are written into the cluster's DDL: plain identifiers only.
            for (setting, name) in [
                ("clickhouse_cluster", cluster),
                ("clickhouse_database", &self.clickhouse_database),
            ] {
                if !cairn_clickhouse::cluster::is_identifier(name) {
                    return Err(ConfigError::Invalid(format!(
                        "{setting} must be letters, digits and _ (not starting with a digit) \
                         with clickhouse_cluster set, not {name:?}"
                    )));
                }
            }
        }
        Ok(())
    }
}

/// The most projection partitions (each is a lease, a keeper and a projector on its holder).
pub const PROJECTION_PARTITIONS_MAX: u32 = 64;

impl Config {
    fn validate_jetstream(&self) -> Result<(), ConfigError> {
        if self.log_backend == super::LogBackend::Embedded {
            if self.projection_shared {
                return Err(ConfigError::Invalid(
                    "projection_shared needs log_backend = \"jetstream\" (a cluster)".into(),
                ));
            }
            return Ok(());
        }
        if !(1..=PROJECTION_PARTITIONS_MAX).contains(&self.projection_partitions) {
            return Err(ConfigError::Invalid(format!(
                "projection_partitions must be between 1 and {PROJECTION_PARTITIONS_MAX}, not {}",
                self.projection_partitions
            )));
        }
        if self.projection_partitions > 1 && !self.projection_shared {
            return Err(ConfigError::Invalid(
                "projection_partitions above 1 needs projection_shared = true".into(),
            ));
        }
        if self.projection_shared && self.clickhouse_cluster.is_some() {
            return Err(ConfigError::Invalid(
                "projection_shared cannot be combined with clickhouse_cluster yet: on a \
                 ClickHouse cluster give each node its own database (projection_shared = \
                 false), or share one database on a single ClickHouse server"
                    .into(),
            ));
        }
        for (name, ms) in [
            ("projection_lease_ms", self.projection_lease_ms),
            ("forwarding_lease_ms", self.forwarding_lease_ms),
            ("purge_finish_takeover_ms", self.purge_finish_takeover_ms),
        ] {
            if ms < 1000 {
                return Err(ConfigError::Invalid(format!(
                    "{name} must be at least 1000, not {ms}"
                )));
            }
        }
        positive(&[
            ("jetstream_timeout_ms", self.jetstream_timeout_ms as usize),
            (
                "jetstream_follow_interval_ms",
                self.jetstream_follow_interval_ms as usize,
            ),
        ])?;
        if self.nats_urls.is_empty() {
            return Err(ConfigError::Invalid(
                "log_backend = \"jetstream\" needs at least one of nats_urls".into(),
            ));
        }
        if ![1, 3, 5].contains(&self.jetstream_replicas) {
            return Err(ConfigError::Invalid(format!(
                "jetstream_replicas must be 1, 3 or 5, not {}",
                self.jetstream_replicas
            )));
        }
        let name_ok = !self.jetstream_stream.is_empty()
            && self
                .jetstream_stream
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !name_ok {
            return Err(ConfigError::Invalid(format!(
                "jetstream_stream must be letters, digits, '_' or '-', not {:?}",
                self.jetstream_stream
            )));
        }
        Ok(())
    }

    /// The JetStream settings, for the cluster mode.
    pub fn jetstream(&self) -> cairn_nats::JetStreamConfig {
        cairn_nats::JetStreamConfig {
            urls: self.nats_urls.clone(),
            stream: self.jetstream_stream.clone(),
            replicas: self.jetstream_replicas,
            timeout: std::time::Duration::from_millis(self.jetstream_timeout_ms),
        }
    }
}

/// The certificates (DER) of the PEM file `clickhouse_ca_file`: at least one, each one rustls
/// can trust.
pub fn clickhouse_ca_certs(path: &std::path::Path) -> Result<Vec<Vec<u8>>, String> {
    let certs = crate::tls::pem_certificates("clickhouse_ca_file", path)?;
    Ok(certs.into_iter().map(|c| c.to_vec()).collect())
}

/// Whether what travels to and from ClickHouse is LZ4-compressed: as `setting` says, and when
/// unset, unless `url`'s host is a loopback address (`localhost`, `127.0.0.0/8`, `::1`), where
/// compressing only costs CPU on both sides.
pub fn clickhouse_compression(url: &str, setting: Option<bool>) -> bool {
    setting.unwrap_or_else(|| !is_loopback(url))
}

fn is_loopback(url: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(url) else {
        return false;
    };
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}
