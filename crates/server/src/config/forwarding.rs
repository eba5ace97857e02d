//! Checks of the statement forwarding settings (the limits and delivery settings made of them
//! are in `crate::forwarding`).
use super::{Config, ConfigError, positive};

impl Config {
    pub(super) fn validate_forwarding(&self) -> Result<(), ConfigError> {
        positive(&[
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
            ("forward_in_flight", self.forward_in_flight),
        ])
    }
}
