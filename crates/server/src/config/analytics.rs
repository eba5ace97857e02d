//! Settings of filters, dashboards and the analytics requests.
use super::{Config, ConfigError, positive};

impl Config {
    pub(super) fn validate_analytics(&self) -> Result<(), ConfigError> {
        positive(&[
            ("dashboard_widgets_max", self.dashboard_widgets_max),
            ("dashboard_name_max_chars", self.dashboard_name_max_chars),
            ("dashboard_json_max_kib", self.dashboard_json_max_kib),
            ("saved_filters_max", self.saved_filters_max),
            ("filter_max_nodes", self.filter_max_nodes),
            ("filter_max_values", self.filter_max_values),
            ("filter_max_string_bytes", self.filter_max_string_bytes),
            ("aggregate_buckets_max", self.aggregate_buckets_max as usize),
            ("names_ids_max", self.names_ids_max),
            ("degraded_read_scan_max", self.degraded_read_scan_max),
            ("purge_max_statements", self.purge_max_statements),
            (
                "analytics_max_execution_seconds",
                self.analytics_max_execution_seconds as usize,
            ),
            (
                "analytics_max_memory_mb",
                self.analytics_max_memory_mb as usize,
            ),
        ])?;
        if self.funnel_steps_max < 2 {
            return Err(ConfigError::Invalid(
                "funnel_steps_max must be at least 2".into(),
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

    /// The bounds on a filter.s size.
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
            filter: self.filter_limits(),
        }
    }
}
