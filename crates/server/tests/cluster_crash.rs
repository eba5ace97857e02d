//! Cluster mode under `kill -9`: three real `nats-server` processes as one JetStream cluster and
//! three real `cairn` processes sharing its log, each projecting into its own ClickHouse
//! database. Statements are posted through every node; one Cairn node and one nats-server are
//! killed with SIGKILL under that load. Afterwards every acknowledged statement is served exactly
//! once by each surviving node and by the killed node once restarted (it catches up from the
//! log), and each node's ClickHouse database holds each statement once.
mod cluster;

use cluster::nats::NatsCluster;
use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const KEY: &str = "cluster";
const SECRET: &str = "cluster-secret-cluster-secret";
/// nats-server client ports 18450–18452 (routes 18455–18457); Cairn nodes from 18460.
const NATS_BASE: u16 = 18450;
const NODE_BASE: u16 = 18460;

/// One `cairn serve` process in cluster mode: its data directory is `root/name`, its log
/// `root/name.log`.
struct Node {
    child: Option<Child>,
    port: u16,
    log: std::path::PathBuf,
    db: String,
    http: reqwest::blocking::Client,
}

impl Node {
    /// Starts the node `name` (on its data directory and database, when they exist already)
    /// and waits until it answers.
    fn spawn(root: &std::path::Path, name: &str, port: u16, nats: &NatsCluster, db: &str) -> Node {
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
        let child = Command::new(env!("CARGO_BIN_EXE_cairn"))
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
            .stdout(Stdio::null())
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

    fn wait_healthy(&self) {
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

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `kill -9`.
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }

    fn get(&self, path: &str) -> reqwest::blocking::Response {
        self.http
            .get(format!("http://127.0.0.1:{}{path}", self.port))
            .basic_auth(KEY, Some(SECRET))
            .header("X-Experience-API-Version", "1.0.3")
            .send()
            .unwrap()
    }

    /// Every statement the node lists, in its order (all pages).
    fn list_all(&self) -> Vec<String> {
        let mut served = Vec::new();
        let mut next = "/xapi/statements?limit=500".to_owned();
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
    fn clickhouse_rows(&self) -> (u64, u64) {
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

fn batch(n: usize) -> (Vec<String>, serde_json::Value) {
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
fn load(
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
fn check_node(node: &Node, acked: &[String]) -> HashSet<String> {
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

#[test]
fn acknowledged_statements_survive_kill_9_of_a_node_and_a_nats_server() {
    let root = tempfile::tempdir().unwrap();
    let mut nats = NatsCluster::start(NATS_BASE);
    let run = uuid::Uuid::new_v4().simple().to_string();
    let dbs: Vec<String> = (0..3).map(|i| format!("cairn_cluster_{i}_{run}")).collect();
    // One after the other: the first creates the stream and the default client.
    let mut nodes: Vec<Node> = (0..3)
        .map(|i| {
            Node::spawn(
                root.path(),
                &format!("n{i}"),
                NODE_BASE + i as u16,
                &nats,
                &dbs[i],
            )
        })
        .collect();
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let ports: Vec<u16> = nodes.iter().map(|n| n.port).collect();
    let writers = load(&ports, &acked, &stop);
    std::thread::sleep(Duration::from_millis(2000));
    let before = acked.lock().unwrap().len();
    assert!(
        before > 20,
        "the load reached the cluster ({before} acknowledged)"
    );
    // SIGKILL of Cairn node 2 and of nats-server 0 while the writers are mid-flight.
    nodes[2].kill();
    nats.kill(0);
    // The two other nodes keep acknowledging on the two remaining nats-servers (a quorum of
    // the stream's three replicas), once JetStream has moved its leaders if it must.
    let deadline = Instant::now() + Duration::from_secs(60);
    while acked.lock().unwrap().len() < before + 200 {
        assert!(
            Instant::now() < deadline,
            "no writes acknowledged after the kills ({} before, {} now):\n{}\n{}",
            before,
            acked.lock().unwrap().len(),
            nodes[0].log(),
            nats.logs()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    eprintln!(
        "{} statements acknowledged ({before} before the kills)",
        acked.len()
    );
    // The killed node comes back on its data and catches up; the killed nats-server rejoins.
    nats.restart(0);
    let db2 = nodes[2].db.clone();
    nodes[2] = Node::spawn(root.path(), "n2", NODE_BASE + 3, &nats, &db2);
    let mut listed = Vec::new();
    for node in &nodes {
        listed.push(check_node(node, &acked));
    }
    // Every node serves the same statements: unacknowledged appends that reached the log (a
    // 503 after a timeout) are there on all nodes alike, once each node has applied them.
    let deadline = Instant::now() + Duration::from_secs(30);
    while listed.iter().any(|l| l != &listed[0]) {
        assert!(
            Instant::now() < deadline,
            "the nodes list different statements"
        );
        std::thread::sleep(Duration::from_millis(300));
        listed = nodes
            .iter()
            .map(|n| n.list_all().into_iter().collect())
            .collect();
    }
    // Each node's ClickHouse database holds each statement exactly once.
    for node in &nodes {
        let want = listed[0].len() as u64;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (rows, ids) = node.clickhouse_rows();
            if rows == want && ids == want {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "node {}: {rows} rows, {ids} distinct statements, for {want} statements:\n{}",
                node.port,
                node.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}
