//! A Cairn node for tests: a real server on a loopback port, a fresh data directory and its own
//! database on a real ClickHouse (see `cairn-testkit`).
#![allow(dead_code)]
use cairn_server::app::{self, Running};
use cairn_server::config::Config;
use reqwest::{Method, RequestBuilder};
use std::time::Duration;

pub mod archives;
pub mod erased;
pub mod process;

pub struct TestServer {
    pub base: String,
    /// Where `/metrics` is served, when `metrics_addr` is not off.
    pub metrics: Option<std::net::SocketAddr>,
    pub http: reqwest::Client,
    pub cfg: Config,
    pub key: String,
    pub secret: String,
    /// The set-up link this start printed (no site administrator yet).
    pub setup_link: Option<String>,
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
        default_client_secret: Some("s3cret-s3cret-s3cret".into()),
        page_max: 50,
        projector_linger_ms: 10,
        // Tests run side by side: no shared /metrics port.
        metrics_addr: cairn_server::config::MetricsAddr::Off,
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
        // CAIRN_TEST_LOG (a filter, for example `warn`) prints the node's log with the test's
        // output. Lines from the node's own threads are not captured by the test harness, so
        // it is off unless asked for.
        if let Ok(filter) = std::env::var("CAIRN_TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        }
        let running = app::start(cfg.clone()).await.expect("server starts");
        let base = format!("http://{}", running.addr);
        TestServer {
            base,
            metrics: running.metrics_addr,
            http: reqwest::Client::new(),
            key: cfg.default_client_key.clone().unwrap_or_default(),
            secret: cfg.default_client_secret.clone().unwrap_or_default(),
            setup_link: running.setup_link.clone(),
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
        self.metrics = running.metrics_addr;
        self.setup_link = running.setup_link.clone();
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

pub const ROOT_EMAIL: &str = "root@example.com";
pub const ROOT_PASSWORD: &str = "correct horse battery";

/// Admin-API credentials: a session id (sent as the cookie) or a personal token (Bearer).
#[derive(Clone, Debug)]
pub enum Cred {
    None,
    Session(String),
    Token(String),
    Basic(String, String),
}

impl TestServer {
    /// A node whose site administrator was created with `cairn admin site-admin` beforehand.
    pub async fn start_with_root() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let cfg = test_config(dir.path());
        Self::start_with_root_cfg(cfg, dir).await
    }

    pub async fn start_with_root_cfg(cfg: Config, dir: tempfile::TempDir) -> Self {
        use cairn_server::admin_cli::{AdminCommand, run};
        run(
            &cfg,
            AdminCommand::SiteAdmin {
                email: ROOT_EMAIL.into(),
                name: Some("Root".into()),
                password: Some(ROOT_PASSWORD.into()),
                password_stdin: false,
            },
        )
        .await
        .expect("site admin created");
        Self::start_with(cfg, dir).await
    }

    /// Logs in; answers the session id from the Set-Cookie header.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let res = self
            .http
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "login of {email}");
        let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
        cookie
            .split(';')
            .next()
            .and_then(|c| c.strip_prefix("cairn_session="))
            .expect("session cookie")
            .to_owned()
    }

    pub fn api(&self, method: Method, path: &str, cred: &Cred) -> RequestBuilder {
        let r = self.http.request(method, format!("{}{}", self.base, path));
        match cred {
            Cred::None => r,
            // As a browser on the web app: the cookie and the page's origin.
            Cred::Session(s) => r
                .header("cookie", format!("cairn_session={s}"))
                .header("origin", &self.base),
            Cred::Token(t) => r.bearer_auth(t),
            Cred::Basic(k, s) => r.basic_auth(k, Some(s)),
        }
    }

    /// Calls the admin API; answers the status and the JSON body (Null when empty).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        cred: &Cred,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut r = self.api(method, path, cred);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let res = r.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }

    /// Calls and requires `want`; answers the body.
    pub async fn ok(
        &self,
        method: Method,
        path: &str,
        cred: &Cred,
        body: Option<serde_json::Value>,
        want: u16,
    ) -> serde_json::Value {
        let (s, v) = self.call(method.clone(), path, cred, body).await;
        assert_eq!(s, want, "{method} {path}: {v}");
        v
    }

    /// An xAPI request with explicit Basic credentials.
    pub fn xapi(&self, method: Method, path: &str, key: &str, secret: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{}", self.base, path))
            .basic_auth(key, Some(secret))
            .header("X-Experience-API-Version", "1.0.3")
    }

    /// Creates a user (as `root`) and answers their id and a personal token.
    pub async fn user_with_token(&self, root: &Cred, email: &str) -> (String, Cred) {
        let u = self
            .ok(
                Method::POST,
                "/api/v1/users",
                root,
                Some(serde_json::json!({"email": email, "password": "a long password"})),
                201,
            )
            .await;
        let sid = self.login(email, "a long password").await;
        let t = self
            .ok(
                Method::POST,
                "/api/v1/me/tokens",
                &Cred::Session(sid),
                Some(serde_json::json!({"name": "script"})),
                201,
            )
            .await;
        (
            u["id"].as_str().unwrap().to_owned(),
            Cred::Token(t["secret"].as_str().unwrap().to_owned()),
        )
    }
}
