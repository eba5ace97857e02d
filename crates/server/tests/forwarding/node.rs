//! A real `cairn serve` process for the forwarding tests, with a site administrator logged in
//! through a personal token, and helpers for its xAPI and admin APIs.
#![allow(dead_code)]
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const KEY: &str = "fwd-client";
pub const SECRET: &str = "fwd-secret-fwd-secret";
pub const DEFAULT_STORE: &str = "00000000-0000-0000-0000-000000000001";
const EMAIL: &str = "root@example.com";
const PASSWORD: &str = "correct horse battery";

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Node {
    pub dir: PathBuf,
    pub port: u16,
    pub db: String,
    pub token: String,
    pub http: reqwest::Client,
    child: Option<Child>,
    env: Vec<(String, String)>,
}

fn command(dir: &Path, db: &str, env: &[(String, String)]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cairn"));
    c.env("CAIRN_DATA_DIR", dir)
        .env("CAIRN_CLICKHOUSE_URL", cairn_testkit::server_url())
        .env("CAIRN_CLICKHOUSE_DATABASE", db)
        .env("CAIRN_DEFAULT_CLIENT_KEY", KEY)
        .env("CAIRN_DEFAULT_CLIENT_SECRET", SECRET)
        .env("CAIRN_LOG", "warn")
        .env("CAIRN_METRICS_ADDR", "off")
        .env("CAIRN_PROJECTOR_LINGER_MS", "10");
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

impl Node {
    /// Starts a node on a fresh data directory (inside `root`) with extra settings.
    pub async fn start(root: &Path, name: &str, env: &[(&str, &str)]) -> Node {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let db = format!("cairn_fwd_{}", uuid::Uuid::new_v4().simple());
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let status = command(&dir, &db, &env)
            .args([
                "admin",
                "site-admin",
                "--email",
                EMAIL,
                "--password",
                PASSWORD,
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "site admin created");
        let mut node = Node {
            dir,
            port: 0,
            db,
            token: String::new(),
            http: reqwest::Client::new(),
            child: None,
            env,
        };
        node.spawn().await;
        node.token = node.personal_token().await;
        node
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    async fn spawn(&mut self) {
        self.port = free_port();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.with_extension("log"))
            .unwrap();
        let child = command(&self.dir, &self.db, &self.env)
            .arg("serve")
            .env("CAIRN_HTTP_ADDR", format!("127.0.0.1:{}", self.port))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn cairn");
        self.child = Some(child);
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            let res = self
                .http
                .get(format!("{}/health/live", self.base()))
                .send()
                .await;
            if res.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("cairn did not start:\n{}", self.log());
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.with_extension("log")).unwrap_or_default()
    }

    /// SIGKILL, then a new process on the same data.
    pub async fn kill_9_and_restart(&mut self) {
        let mut child = self.child.take().unwrap();
        unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
        child.wait().unwrap();
        self.spawn().await;
    }

    async fn personal_token(&self) -> String {
        let res = self
            .http
            .post(format!("{}/api/v1/auth/login", self.base()))
            .json(&json!({"email": EMAIL, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
        let session = cookie.split(';').next().unwrap().to_owned();
        let res = self
            .http
            .post(format!("{}/api/v1/me/tokens", self.base()))
            .header("Cookie", session)
            .header("Origin", self.base())
            .json(&json!({"name": "tests"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "token");
        let v: Value = res.json().await.unwrap();
        v["secret"].as_str().unwrap().to_owned()
    }

    /// An admin API call; answers the status and the JSON body (Null when empty).
    pub async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}/api/v1{path}", self.base()))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn forwarder(&self, id: &str) -> Value {
        let (s, v) = self
            .admin(
                reqwest::Method::GET,
                &format!("/stores/{DEFAULT_STORE}/forwarders/{id}"),
                None,
            )
            .await;
        assert_eq!(s, 200, "{v}");
        v
    }

    /// POSTs statements (xAPI 2.0.0); answers the status.
    pub async fn post(&self, statements: &Value) -> u16 {
        self.http
            .post(format!("{}/xapi/statements", self.base()))
            .basic_auth(KEY, Some(SECRET))
            .header("X-Experience-API-Version", "2.0.0")
            .json(statements)
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    }

    /// Every statement id the node serves for a query (all pages).
    pub async fn ids(&self, query: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut url = format!("{}/xapi/statements?{query}", self.base());
        loop {
            let v: Value = self
                .http
                .get(&url)
                .basic_auth(KEY, Some(SECRET))
                .header("X-Experience-API-Version", "2.0.0")
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            for s in v["statements"].as_array().unwrap() {
                out.push(s["id"].as_str().unwrap().to_owned());
            }
            match v["more"].as_str() {
                Some(m) if !m.is_empty() => url = format!("{}{m}", self.base()),
                _ => return out,
            }
        }
    }

    /// The status code of a single-statement GET.
    pub async fn get_status(&self, query: &str) -> u16 {
        self.http
            .get(format!("{}/xapi/statements?{query}", self.base()))
            .basic_auth(KEY, Some(SECRET))
            .header("X-Experience-API-Version", "2.0.0")
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

pub fn statement(id: &str, verb: &str) -> Value {
    json!({
        "id": id,
        "actor": {"objectType": "Agent", "mbox": "mailto:fwd@example.com"},
        "verb": {"id": verb},
        "object": {"objectType": "Activity", "id": format!("http://example.com/act/{id}")},
    })
}

/// Polls `check` until it holds (or panics after `secs`).
pub async fn eventually<F, Fut>(secs: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(secs) {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never happened: {what}");
}
