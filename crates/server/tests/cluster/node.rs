//! A `cairn serve` process in cluster mode for the kill -9 tests, and the load and checks they
//! share: writers posting through every node, every acknowledged statement listed once.
#![allow(dead_code)]
use super::nats::NatsCluster;
use std::collections::HashSet;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const KEY: &str = "cluster";
pub const SECRET: &str = "cluster-secret-cluster-secret";

/// One `cairn serve` process in cluster mode: its data directory is `root/name`, its log
/// `root/name.log`, what it prints `root/name.out`.
pub struct Node {
    child: Option<Child>,
    pub port: u16,
    log: std::path::PathBuf,
    pub db: String,
    http: reqwest::blocking::Client,
}

impl Node {
    /// Starts the node `name` (on its data directory and database, when they exist already)
    /// and waits until it answers.
    pub fn spawn(
        root: &std::path::Path,
        name: &str,
        port: u16,
        nats: &NatsCluster,
        db: &str,
    ) -> Node {
        Self::spawn_with(root, name, port, nats, db, &[])
    }

    /// [`Node::spawn`] with more environment variables (they override the defaults).
    pub fn spawn_with(
        root: &std::path::Path,
        name: &str,
        port: u16,
        nats: &NatsCluster,
        db: &str,
        env: &[(&str, String)],
    ) -> Node {
        let data = root.join(name);
        let urls: Vec<String> = nats.urls().iter().map(|u| format!("{u:?}")).collect();
        let conf = root.join(format!("{name}.toml"));
        std::fs::write(
            &conf,
            format!(
                "log_backend = \"jetstream\"\nnats_urls = [{}]\n\
                 jetstream_follow_interval_ms = 200\n",
                urls.join(", ")
            ),
        )
        .unwrap();
        let log = root.join(format!("{name}.log"));
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        // What the node prints (its set-up link, for instance): `root/name.out`.
        let stdout = std::fs::File::create(root.join(format!("{name}.out"))).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cairn"));
        // Against a ClickHouse cluster (scripts/clickhouse-cluster-test.sh), the nodes keep
        // their databases on it.
        if let Some(cluster) = cairn_testkit::cluster() {
            cmd.env("CAIRN_CLICKHOUSE_CLUSTER", cluster);
        }
        let child = cmd
            .arg("--config")
            .arg(&conf)
            .arg("serve")
            .env("CAIRN_HTTP_ADDR", format!("127.0.0.1:{port}"))
            .env("CAIRN_DATA_DIR", &data)
            .env("CAIRN_CLICKHOUSE_URL", cairn_testkit::server_url())
            .env("CAIRN_CLICKHOUSE_DATABASE", db)
            .env("CAIRN_DEFAULT_CLIENT_KEY", KEY)
            .env("CAIRN_DEFAULT_CLIENT_SECRET", SECRET)
            .env("CAIRN_PROJECTOR_LINGER_MS", "20")
            .env("CAIRN_LOG", "warn")
            .env("CAIRN_METRICS_ADDR", "off")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .expect("spawn cairn");
        let node = Node {
            child: Some(child),
            port,
            log,
            db: db.to_owned(),
            http: reqwest::blocking::Client::new(),
        };
        node.wait_healthy();
        node
    }

    pub fn wait_healthy(&self) {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(90) {
            let res = self
                .http
                .get(format!("http://127.0.0.1:{}/health", self.port))
                .send();
            if res.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("cairn on {} did not start:\n{}", self.port, self.log());
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM (a clean stop), and waits until the process has exited.
    pub fn terminate(&mut self) {
        if let Some(mut c) = self.child.take() {
            let sent = Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status()
                .unwrap();
            assert!(sent.success());
            c.wait().unwrap();
        }
    }

    /// `kill -9`.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }

    pub fn get(&self, path: &str) -> reqwest::blocking::Response {
        self.http
            .get(format!("http://127.0.0.1:{}{path}", self.port))
            .basic_auth(KEY, Some(SECRET))
            .header("X-Experience-API-Version", "1.0.3")
            .send()
            .unwrap()
    }

    /// Every statement the node lists, in its order (all pages).
    pub fn list_all(&self) -> Vec<String> {
        self.list("limit=500")
    }

    /// Every statement the node lists for the query string `query` (all pages).
    pub fn list(&self, query: &str) -> Vec<String> {
        let mut served = Vec::new();
        let mut next = format!("/xapi/statements?{query}");
        loop {
            let res = self.get(&next);
            assert_eq!(res.status(), 200, "GET {next} on {}", self.port);
            let page: serde_json::Value = res.json().unwrap();
            for s in page["statements"].as_array().unwrap() {
                assert_eq!(s["verb"]["id"], "http://example.com/verbs/clustered");
                served.push(s["id"].as_str().unwrap().to_owned());
            }
            next = page["more"].as_str().unwrap().to_owned();
            if next.is_empty() {
                return served;
            }
        }
    }

    /// `count()` and `uniqExact(statement_id)` of the node's ClickHouse `statements`.
    pub fn clickhouse_rows(&self) -> (u64, u64) {
        let q = format!(
            "SELECT count(), uniqExact(statement_id) FROM {}.statements FORMAT TSV",
            self.db
        );
        let text = self
            .http
            .post(cairn_testkit::server_url())
            .body(q)
            .send()
            .unwrap()
            .text()
            .unwrap();
        let mut it = text.split_whitespace().map(|n| n.parse().unwrap_or(0));
        (it.next().unwrap_or(0), it.next().unwrap_or(0))
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn batch(n: usize) -> (Vec<String>, serde_json::Value) {
    let ids: Vec<String> = (0..n).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let body = ids
        .iter()
        .map(|id| {
            serde_json::json!({
                "id": id,
                "actor": {"mbox": "mailto:cluster@example.com"},
                "verb": {"id": "http://example.com/verbs/clustered"},
                "object": {"id": format!("http://example.com/act/{id}")},
            })
        })
        .collect();
    (ids, serde_json::Value::Array(body))
}

/// Two writers per port until `stop`: each posts batches and records the ids of every batch
/// answered 200. A batch answered otherwise (503 while a nats-server is gone, or a refused
/// connection once the node is killed) is not acknowledged, and is not recorded.
pub fn load(
    ports: &[u16],
    acked: &Arc<Mutex<Vec<String>>>,
    stop: &Arc<AtomicBool>,
) -> Vec<std::thread::JoinHandle<()>> {
    let mut threads = Vec::new();
    for (n, port) in ports.iter().copied().enumerate() {
        for w in 0..2 {
            let (acked, stop) = (acked.clone(), stop.clone());
            threads.push(std::thread::spawn(move || {
                let http = reqwest::blocking::Client::builder()
                    .timeout(Duration::from_secs(30))
                    .build()
                    .unwrap();
                while !stop.load(Ordering::Relaxed) {
                    let (ids, body) = batch(if (n + w) % 2 == 0 { 1 } else { 10 });
                    let res = http
                        .post(format!("http://127.0.0.1:{port}/xapi/statements"))
                        .basic_auth(KEY, Some(SECRET))
                        .header("X-Experience-API-Version", "1.0.3")
                        .json(&body)
                        .send();
                    match res {
                        Ok(r) if r.status() == 200 => acked.lock().unwrap().extend(ids),
                        Ok(_) => std::thread::sleep(Duration::from_millis(50)),
                        Err(_) => std::thread::sleep(Duration::from_millis(100)),
                    }
                }
            }));
        }
    }
    threads
}

/// Waits until `node` lists every id of `acked`, then checks that it lists each exactly once
/// and serves each by id, whole. Answers the listed ids.
pub fn check_node(node: &Node, acked: &[String]) -> HashSet<String> {
    let deadline = Instant::now() + Duration::from_secs(90);
    let unique = loop {
        let served = node.list_all();
        let unique: HashSet<String> = served.iter().cloned().collect();
        assert_eq!(
            unique.len(),
            served.len(),
            "node {} lists a statement twice",
            node.port
        );
        let missing = acked.iter().filter(|id| !unique.contains(*id)).count();
        if missing == 0 {
            break unique;
        }
        assert!(
            Instant::now() < deadline,
            "node {} does not list {missing} acknowledged statements:\n{}",
            node.port,
            node.log()
        );
        std::thread::sleep(Duration::from_millis(300));
    };
    for id in acked {
        let r = node.get(&format!("/xapi/statements?statementId={id}"));
        assert_eq!(r.status(), 200, "statement {id} on node {}", node.port);
        let st: serde_json::Value = r.json().expect("a whole statement");
        assert_eq!(st["id"], id.as_str());
    }
    unique
}

/// A value of `name` (summed over its label sets) on the `/metrics` listener at `port`; 0 when
/// absent or unreachable.
pub fn metric(port: u16, name: &str) -> f64 {
    let Ok(r) = reqwest::blocking::get(format!("http://127.0.0.1:{port}/metrics")) else {
        return 0.0;
    };
    r.text()
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with(name) && !l.starts_with('#'))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// The test ClickHouse's answer to `q`.
pub fn clickhouse(q: &str) -> String {
    reqwest::blocking::Client::new()
        .post(cairn_testkit::server_url())
        .body(q.to_owned())
        .send()
        .unwrap()
        .text()
        .unwrap()
}

/// `cairn` with the configuration file `conf`, answering its standard output parsed as JSON
/// (`null` when it prints none).
pub fn cairn(conf: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .arg("--config")
        .arg(conf)
        .args(args)
        .env("CAIRN_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cairn {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}
