//! Settings of logs, metrics, traces and readiness.
use super::{Config, ConfigError, positive};

impl Config {
    pub(super) fn validate_telemetry(&self) -> Result<(), ConfigError> {
        positive(&[(
            "ready_clickhouse_timeout_ms",
            self.ready_clickhouse_timeout_ms as usize,
        )])?;
        if !(0.0..=1.0).contains(&self.trace_sample_ratio) {
            return Err(ConfigError::Invalid(format!(
                "trace_sample_ratio must be between 0.0 and 1.0, not {}",
                self.trace_sample_ratio
            )));
        }
        if let Some(e) = &self.otlp_endpoint
            && !e.starts_with("http://")
            && !e.starts_with("https://")
        {
            return Err(ConfigError::Invalid(format!(
                "otlp_endpoint must be an http:// or https:// URL (OTLP over HTTP), not {e:?}"
            )));
        }
        if self.otlp_ca_file.is_some()
            && !self
                .otlp_endpoint
                .as_deref()
                .is_some_and(|e| e.starts_with("https://"))
        {
            return Err(ConfigError::Invalid(
                "otlp_ca_file is only used with an https:// otlp_endpoint".into(),
            ));
        }
        Ok(())
    }

    /// What `/health/ready` checks against.
    pub fn health_config(&self) -> cairn_core::health::HealthConfig {
        cairn_core::health::HealthConfig {
            clickhouse_timeout: std::time::Duration::from_millis(self.ready_clickhouse_timeout_ms),
            max_lag: (self.ready_max_lag_seconds > 0)
                .then(|| std::time::Duration::from_secs(self.ready_max_lag_seconds)),
        }
    }
}
