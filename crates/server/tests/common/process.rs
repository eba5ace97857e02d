//! A `cairn serve` process for the kill -9 tests: a free loopback port, the node started on a
//! test configuration's data directory and database (its log appended next to the data
//! directory), and a wait until it answers.
use cairn_server::config::Config;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The client the process is started with.
pub const KEY: &str = "tester";
pub const SECRET: &str = "s3cret-s3cret-s3cret";

/// A loopback port free at the time of asking.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `cairn serve` on `port` for `cfg`'s data directory and database, with `env` set too.
pub fn spawn(cfg: &Config, port: u16, env: &[(&str, &std::ffi::OsStr)]) -> Child {
    let data = &cfg.data_dir;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(data.with_extension("log"))
        .unwrap();
    Command::new(env!("CARGO_BIN_EXE_cairn"))
        .arg("serve")
        .env("CAIRN_HTTP_ADDR", format!("127.0.0.1:{port}"))
        .env("CAIRN_DATA_DIR", data)
        .env("CAIRN_CLICKHOUSE_URL", &cfg.clickhouse_url)
        .env("CAIRN_CLICKHOUSE_DATABASE", &cfg.clickhouse_database)
        .env("CAIRN_DEFAULT_CLIENT_KEY", KEY)
        .env("CAIRN_DEFAULT_CLIENT_SECRET", SECRET)
        .env("CAIRN_LOG", "info")
        .env("CAIRN_METRICS_ADDR", "off")
        .env("CAIRN_PROJECTOR_LINGER_MS", "10")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("spawn cairn")
}

/// Waits (up to a minute) until `/health/live` answers 2xx at `base`.
pub async fn wait_healthy(http: &reqwest::Client, base: &str) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if let Ok(r) = http.get(format!("{base}/health/live")).send().await
            && r.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("cairn did not become healthy");
}
