//! A Cairn node for tests: a real server on a loopback port, a fresh data directory and its own
//! database on a real ClickHouse (see `cairn-testkit`).
#![allow(dead_code)]
use cairn_server::app::{self, Running};
use cairn_server::config::Config;
use reqwest::{Method, RequestBuilder};
use std::time::Duration;

pub struct TestServer {
    pub base: String,
    pub http: reqwest::Client,
    pub cfg: Config,
    pub key: String,
    pub secret: String,
    running: Option<Running>,
    _dir: tempfile::TempDir,
}

pub fn test_config(dir: &std::path::Path) -> Config {
    Config {
        http_addr: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.to_path_buf(),
        clickhouse_url: cairn_testkit::server_url().to_string(),
        clickhouse_database: format!("cairn_t_{}", uuid::Uuid::new_v4().simple()),
        default_client_key: Some("tester".into()),
        default_client_secret: Some("s3cret".into()),
        page_max: 50,
        projector_linger_ms: 10,
        ..Config::default()
    }
}

impl TestServer {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let cfg = test_config(dir.path());
        Self::start_with(cfg, dir).await
    }

    pub async fn start_with(cfg: Config, dir: tempfile::TempDir) -> Self {
        let running = app::start(cfg.clone()).await.expect("server starts");
        let base = format!("http://{}", running.addr);
        TestServer {
            base,
            http: reqwest::Client::new(),
            key: cfg.default_client_key.clone().unwrap_or_default(),
            secret: cfg.default_client_secret.clone().unwrap_or_default(),
            cfg,
            running: Some(running),
            _dir: dir,
        }
    }

    /// Stops the node and starts it again on the same data (and a new port).
    pub async fn restart(mut self) -> Self {
        self.running.take().unwrap().stop().await;
        let mut cfg = self.cfg.clone();
        cfg.http_addr = "127.0.0.1:0".parse().unwrap();
        let running = app::start(cfg).await.expect("server restarts");
        self.base = format!("http://{}", running.addr);
        self.running = Some(running);
        self
    }

    pub async fn stop(mut self) -> (Config, tempfile::TempDir) {
        self.running.take().unwrap().stop().await;
        (self.cfg.clone(), self._dir)
    }

    /// A request with the client's credentials and xAPI version 1.0.3.
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.req_v(method, path, "1.0.3")
    }

    pub fn req_v(&self, method: Method, path: &str, version: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{}", self.base, path))
            .basic_auth(&self.key, Some(&self.secret))
            .header("X-Experience-API-Version", version)
    }

    pub async fn post(&self, body: serde_json::Value) -> reqwest::Response {
        self.req(Method::POST, "/xapi/statements")
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let res = self.req(Method::GET, path).send().await.unwrap();
        assert_eq!(res.status(), 200, "GET {path}");
        res.json().await.unwrap()
    }

    /// Rows of the statements projection, straight from ClickHouse.
    pub async fn clickhouse_count(&self, filter: &str) -> u64 {
        let sql = format!(
            "SELECT count() FROM {}.statements WHERE {filter}",
            self.cfg.clickhouse_database
        );
        let text = reqwest::Client::new()
            .post(&self.cfg.clickhouse_url)
            .body(sql)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.trim()
            .parse()
            .unwrap_or_else(|_| panic!("clickhouse said {text}"))
    }

    /// Waits until the projection holds `n` rows matching `filter`.
    pub async fn wait_projected(&self, filter: &str, n: u64) {
        for _ in 0..200 {
            if self.clickhouse_count(filter).await == n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("projection never reached {n} rows for {filter}");
    }
}

pub fn statement(verb: &str, activity: &str) -> serde_json::Value {
    serde_json::json!({
        "actor": {"objectType": "Agent", "mbox": "mailto:learner@example.com", "name": "Learner"},
        "verb": {"id": verb, "display": {"en-US": "did"}},
        "object": {"objectType": "Activity", "id": activity},
    })
}

pub fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}
