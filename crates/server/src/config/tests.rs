//! The configuration's layers, checks and unknown keys.
#![allow(clippy::result_large_err)] // figment::Jail's closures return figment::Error
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
        let cfg = Config::load(Some("cairn.toml".as_ref()), flags).map_err(|e| e.to_string())?;
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
        // Retention: the job runs hourly by default; a positive interval.
        assert_eq!(cfg.retention_interval_minutes, 60);
        jail.set_env("CAIRN_RETENTION_INTERVAL_MINUTES", "0");
        let err = Config::load(None, Figment::new()).unwrap_err().to_string();
        assert!(err.contains("retention_interval_minutes"), "{err}");
        jail.set_env("CAIRN_RETENTION_INTERVAL_MINUTES", "5");
        let cfg = Config::load(None, Figment::new()).unwrap();
        assert_eq!(cfg.retention_interval_minutes, 5);
        // Forwarding: four batches in flight by default; at least one.
        assert_eq!(cfg.delivery_settings().in_flight, 4);
        jail.set_env("CAIRN_FORWARD_IN_FLIGHT", "0");
        let err = Config::load(None, Figment::new()).unwrap_err().to_string();
        assert!(err.contains("forward_in_flight"), "{err}");
        jail.set_env("CAIRN_FORWARD_IN_FLIGHT", "1");
        let cfg = Config::load(None, Figment::new()).unwrap();
        assert_eq!(cfg.delivery_settings().in_flight, 1);
        // The store's journal bound: 64 MiB by default, fjall refuses less, and 1 TiB at most.
        assert_eq!(cfg.store_journal_mib, 64);
        for bad in ["32", "1048577", "18446744073709551615"] {
            jail.set_env("CAIRN_STORE_JOURNAL_MIB", bad);
            let err = Config::load(None, Figment::new()).unwrap_err().to_string();
            assert!(
                err.contains("store_journal_mib must be between 64 and 1048576 (MiB)"),
                "{bad}: {err}"
            );
        }
        jail.set_env("CAIRN_STORE_JOURNAL_MIB", "lots");
        let err = Config::load(None, Figment::new()).unwrap_err().to_string();
        assert!(
            err.contains("expected u64 for key \"STORE_JOURNAL_MIB\""),
            "{err}"
        );
        jail.set_env("CAIRN_STORE_JOURNAL_MIB", "512");
        assert_eq!(
            Config::load(None, Figment::new())
                .unwrap()
                .store_journal_mib,
            512
        );
        // A ClickHouse certificate authority needs an https URL and a readable PEM file.
        jail.set_env("CAIRN_CLICKHOUSE_CA_FILE", "/nonexistent/ca.pem");
        let err = Config::load(None, Figment::new()).unwrap_err().to_string();
        assert!(err.contains("needs an https://"), "{err}");
        jail.set_env(
            "CAIRN_CLICKHOUSE_URL",
            "https://clickhouse.example.org:8443",
        );
        let err = Config::load(None, Figment::new()).unwrap_err().to_string();
        assert!(
            err.contains("clickhouse_ca_file /nonexistent/ca.pem"),
            "{err}"
        );
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
        jail.set_env("CAIRN_OTLP_ENDPOINT", "https://collector.example.org:4318");
        jail.set_env("CAIRN_OTLP_CA_FILE", "ca.pem");
        let cfg = Config::load(None, Figment::new()).map_err(|e| e.to_string())?;
        assert_eq!(cfg.otlp_ca_file, Some(PathBuf::from("ca.pem")));
        jail.set_env("CAIRN_METRICS_ADDR", "127.0.0.1:0");
        let cfg = Config::load(None, Figment::new()).map_err(|e| e.to_string())?;
        assert_eq!(cfg.metrics_addr.to_string_lossy(), "127.0.0.1:0");
        for (var, bad, named) in [
            ("CAIRN_METRICS_ADDR", "everywhere", "metrics_addr"),
            ("CAIRN_LOG_FORMAT", "xml", "log_format"),
            ("CAIRN_TRACE_SAMPLE_RATIO", "1.5", "trace_sample_ratio"),
            ("CAIRN_OTLP_ENDPOINT", "grpc://collector", "otlp_endpoint"),
            ("CAIRN_OTLP_CA_FILE", "ca.pem", "otlp_ca_file"),
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

#[test]
fn cluster_log_settings_are_checked_and_read_from_the_environment() {
    figment::Jail::expect_with(|jail| {
        // Embedded (the default): the JetStream settings are not looked at.
        jail.set_env("CAIRN_JETSTREAM_REPLICAS", "2");
        let cfg = Config::load(None, Figment::new()).map_err(|e| e.to_string())?;
        assert_eq!(cfg.log_backend, LogBackend::Embedded);
        jail.set_env("CAIRN_LOG_BACKEND", "jetstream");
        let err = Config::load(None, Figment::new()).unwrap_err().to_string();
        assert!(
            err.contains("jetstream_replicas must be 1, 3 or 5"),
            "{err}"
        );
        jail.set_env("CAIRN_JETSTREAM_REPLICAS", "3");
        jail.set_env(
            "CAIRN_NATS_URLS",
            r#"["nats://10.0.0.1:4222", "nats://10.0.0.2:4222"]"#,
        );
        let cfg = Config::load(None, Figment::new()).map_err(|e| e.to_string())?;
        assert_eq!(cfg.log_backend, LogBackend::Jetstream);
        assert_eq!(
            cfg.jetstream().urls,
            vec!["nats://10.0.0.1:4222", "nats://10.0.0.2:4222"]
        );
        jail.set_env("CAIRN_NATS_URLS", "[]");
        let err = Config::load(None, Figment::new()).unwrap_err().to_string();
        assert!(err.contains("nats_urls"), "{err}");
        jail.set_env("CAIRN_NATS_URLS", r#"["nats://127.0.0.1:4222"]"#);
        jail.set_env("CAIRN_JETSTREAM_STREAM", "cairn.log");
        let err = Config::load(None, Figment::new()).unwrap_err().to_string();
        assert!(err.contains("jetstream_stream"), "{err}");
        jail.set_env("CAIRN_JETSTREAM_STREAM", "CAIRN_LOG");
        jail.set_env("CAIRN_JETSTREAM_TIMEOUT_MS", "0");
        let err = Config::load(None, Figment::new()).unwrap_err().to_string();
        assert!(err.contains("jetstream_timeout_ms"), "{err}");
        jail.set_env("CAIRN_JETSTREAM_TIMEOUT_MS", "5000");
        jail.set_env("CAIRN_PROJECTION_SHARED", "true");
        jail.set_env("CAIRN_PROJECTION_LEASE_MS", "999");
        let err = Config::load(None, Figment::new()).unwrap_err().to_string();
        assert!(
            err.contains("projection_lease_ms must be at least 1000"),
            "{err}"
        );
        jail.set_env("CAIRN_PROJECTION_LEASE_MS", "3000");
        let cfg = Config::load(None, Figment::new()).map_err(|e| e.to_string())?;
        assert!(cfg.projection_shared);
        assert_eq!(cfg.projection_lease_ms, 3000);
        assert_eq!(cfg.projection_partitions, 1);
        jail.set_env("CAIRN_PROJECTION_PARTITIONS", "0");
        let err = Config::load(None, Figment::new()).unwrap_err().to_string();
        assert!(
            err.contains("projection_partitions must be between 1 and 64"),
            "{err}"
        );
        jail.set_env("CAIRN_PROJECTION_PARTITIONS", "4");
        let cfg = Config::load(None, Figment::new()).map_err(|e| e.to_string())?;
        assert_eq!(cfg.projection_partitions, 4);
        jail.set_env("CAIRN_PROJECTION_SHARED", "false");
        let err = Config::load(None, Figment::new()).unwrap_err().to_string();
        assert!(err.contains("projection_partitions above 1 needs"), "{err}");
        jail.set_env("CAIRN_PROJECTION_SHARED", "true");
        jail.set_env("CAIRN_PROJECTION_PARTITIONS", "1");
        assert_eq!(cfg.forwarding_lease_ms, 10_000);
        jail.set_env("CAIRN_FORWARDING_LEASE_MS", "500");
        let err = Config::load(None, Figment::new()).unwrap_err().to_string();
        assert!(
            err.contains("forwarding_lease_ms must be at least 1000"),
            "{err}"
        );
        jail.set_env("CAIRN_FORWARDING_LEASE_MS", "2000");
        let cfg = Config::load(None, Figment::new()).map_err(|e| e.to_string())?;
        assert_eq!(cfg.forwarding_lease_ms, 2000);
        assert_eq!(cfg.purge_finish_takeover_ms, 60_000);
        jail.set_env("CAIRN_PURGE_FINISH_TAKEOVER_MS", "999");
        let err = Config::load(None, Figment::new()).unwrap_err().to_string();
        assert!(
            err.contains("purge_finish_takeover_ms must be at least 1000"),
            "{err}"
        );
        jail.set_env("CAIRN_PURGE_FINISH_TAKEOVER_MS", "3000");
        let cfg = Config::load(None, Figment::new()).map_err(|e| e.to_string())?;
        assert_eq!(cfg.purge_finish_takeover_ms, 3000);
        jail.set_env("CAIRN_CLICKHOUSE_CLUSTER", "cairn");
        let err = Config::load(None, Figment::new()).unwrap_err().to_string();
        assert!(
            err.contains("projection_shared cannot be combined with clickhouse_cluster"),
            "{err}"
        );
        jail.set_env("CAIRN_PROJECTION_SHARED", "false");
        let cfg = Config::load(None, Figment::new()).map_err(|e| e.to_string())?;
        assert_eq!(cfg.clickhouse_cluster.as_deref(), Some("cairn"));
        jail.set_env("CAIRN_PROJECTION_SHARED", "true");
        jail.set_env("CAIRN_LOG_BACKEND", "embedded");
        let err = Config::load(None, Figment::new()).unwrap_err().to_string();
        assert!(err.contains("projection_shared needs"), "{err}");
        jail.set_env("CAIRN_LOG_BACKEND", "raft");
        let err = Config::load(None, Figment::new()).unwrap_err().to_string();
        assert!(err.contains("LOG_BACKEND") && err.contains("raft"), "{err}");
        Ok(())
    });
}

#[test]
fn a_cluster_name_must_be_a_plain_identifier() {
    figment::Jail::expect_with(|jail| {
        jail.set_env("CAIRN_CLICKHOUSE_CLUSTER", "cairn; DROP");
        let err = Config::load(None, Figment::new()).unwrap_err().to_string();
        assert!(err.contains("clickhouse_cluster"), "{err}");
        jail.set_env("CAIRN_CLICKHOUSE_CLUSTER", "cairn");
        jail.set_env("CAIRN_CLICKHOUSE_DATABASE", "my-db");
        let err = Config::load(None, Figment::new()).unwrap_err().to_string();
        assert!(err.contains("clickhouse_database"), "{err}");
        jail.set_env("CAIRN_CLICKHOUSE_DATABASE", "cairn");
        let cfg = Config::load(None, Figment::new()).map_err(|e| e.to_string())?;
        assert_eq!(cfg.clickhouse_cluster.as_deref(), Some("cairn"));
        Ok(())
    });
}

#[test]
fn clickhouse_compression_is_read_from_the_environment_and_files() {
    figment::Jail::expect_with(|jail| {
        let cfg = Config::load(None, Figment::new()).map_err(|e| e.to_string())?;
        assert_eq!(cfg.clickhouse_compression, None);
        jail.set_env("CAIRN_CLICKHOUSE_COMPRESSION", "false");
        let cfg = Config::load(None, Figment::new()).map_err(|e| e.to_string())?;
        assert_eq!(cfg.clickhouse_compression, Some(false));
        jail.clear_env();
        jail.create_file("cairn.toml", "clickhouse_compression = true\n")?;
        let cfg =
            Config::load(Some("cairn.toml".as_ref()), Figment::new()).map_err(|e| e.to_string())?;
        assert_eq!(cfg.clickhouse_compression, Some(true));
        Ok(())
    });
}

#[test]
fn clickhouse_compression_is_off_on_loopback_unless_set() {
    use super::clickhouse_compression as c;
    for local in [
        "http://127.0.0.1:8123",
        "http://127.8.9.10:8123",
        "https://localhost:8443/",
        "http://LOCALHOST:8123",
        "http://[::1]:8123",
    ] {
        assert!(!c(local, None), "{local}");
        assert!(c(local, Some(true)), "{local}");
    }
    for remote in [
        "http://10.0.0.5:8123",
        "https://clickhouse.example.com:8443",
        "http://[2001:db8::1]:8123",
        "not a url",
    ] {
        assert!(c(remote, None), "{remote}");
        assert!(!c(remote, Some(false)), "{remote}");
    }
}
