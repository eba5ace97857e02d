//! Projection partitions (`projection_partitions = 4`): three real `nats-server` processes as one
//! JetStream cluster, three real `cairn` processes sharing one ClickHouse database, and stores
//! in every partition (made with `cairn admin` on a single node's directory, moved into the
//! cluster with `cairn cluster-seed`). The partitions' leases spread over the nodes (2, 1, 1)
//! and more than one node inserts. Under load through every node, a node holding two
//! partitions is killed with SIGKILL: the survivors take its partitions within the lease and
//! its margin (two each), and then every acknowledged statement is in the shared `statements`
//! table exactly once, the hourly aggregate counts each once, and both survivors serve each
//! once through its store's client.
mod cluster;
mod common;

use cairn_core::ids::StoreId;
use cairn_core::projection_lease::partition::partition_of;
use cluster::nats::NatsCluster;
use cluster::node::{Node, batch, cairn, clickhouse, metric};
use common::process::free_port;
use std::collections::HashSet;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// nats-server client ports 18650–18652 (routes 18655–18657).
const NATS_BASE: u16 = 18650;
const PARTITIONS: u32 = 4;
const LEASE_MS: u64 = 3000;
const ADMIN: &str = "admin@example.com";
const PASSWORD: &str = "partitions-password";
/// The per-partition gauges (label `partition`), summed: how many this node holds now.
const LEASE_HELD: &str = "cairn_projection_lease_held";
const INSERTS: &str = "cairn_clickhouse_request_duration_seconds_count{op=\"insert\"}";

/// Waits until the nodes `live` hold the partitions as `want` says (each node's count, from
/// its per-partition lease gauges). Two nodes may both show a partition for a moment while it
/// changes hands between two reads; what counts is the exactly-once check at the end.
fn wait_held(metrics: &[u16], live: &[usize], want: impl Fn(&[u32]) -> bool, within: Duration) {
    let started = Instant::now();
    loop {
        let held: Vec<u32> = live
            .iter()
            .map(|i| metric(metrics[*i], LEASE_HELD).max(0.0) as u32)
            .collect();
        if want(&held) {
            return;
        }
        assert!(
            started.elapsed() < within,
            "partitions held {held:?} after {within:?}"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// A store's client.
#[derive(Clone)]
struct Client {
    key: String,
    secret: String,
}

/// Stores (with a client each) in a single node's directory until every partition has one.
fn provision(root: &std::path::Path) -> Vec<(StoreId, Client)> {
    let conf = root.join("single.toml");
    let dir = root.join("single");
    std::fs::write(
        &conf,
        format!("data_dir = {:?}\n", dir.display().to_string()),
    )
    .unwrap();
    cairn(
        &conf,
        &[
            "admin",
            "site-admin",
            "--email",
            ADMIN,
            "--password",
            PASSWORD,
        ],
    );
    let org = cairn(&conf, &["admin", "org", "create", "--name", "partitions"]);
    let org = org["id"].as_str().unwrap().to_owned();
    let mut stores = Vec::new();
    let mut covered = HashSet::new();
    while covered.len() < PARTITIONS as usize {
        assert!(stores.len() < 40, "no store in some partition");
        let name = format!("s{}", stores.len());
        let s = cairn(
            &conf,
            &["admin", "store", "create", "--org", &org, "--name", &name],
        );
        let id = s["id"].as_str().unwrap().to_owned();
        let c = cairn(
            &conf,
            &["admin", "client", "create", "--store", &id, "--name", "lms"],
        );
        let store = StoreId(id.parse().unwrap());
        covered.insert(partition_of(store, PARTITIONS));
        let client = Client {
            key: c["key"].as_str().unwrap().to_owned(),
            secret: c["secret"].as_str().unwrap().to_owned(),
        };
        stores.push((store, client));
    }
    stores
}

/// Two writers per node until `stop`, each posting through the stores' clients in turn; the
/// ids of every batch answered 200 are recorded.
fn load(
    ports: &[u16],
    clients: &[Client],
    acked: &Arc<Mutex<Vec<String>>>,
    stop: &Arc<AtomicBool>,
) -> Vec<std::thread::JoinHandle<()>> {
    let mut threads = Vec::new();
    for (n, port) in ports.iter().copied().enumerate() {
        for w in 0..2 {
            let (acked, stop, clients) = (acked.clone(), stop.clone(), clients.to_vec());
            threads.push(std::thread::spawn(move || {
                let http = reqwest::blocking::Client::builder()
                    .timeout(Duration::from_secs(30))
                    .build()
                    .unwrap();
                let mut turn = n * 2 + w;
                while !stop.load(Ordering::Relaxed) {
                    let c = &clients[turn % clients.len()];
                    turn += 1;
                    let (ids, body) = batch(5);
                    let res = http
                        .post(format!("http://127.0.0.1:{port}/xapi/statements"))
                        .basic_auth(&c.key, Some(&c.secret))
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

/// Every statement `port` lists through `client`'s store (all pages).
fn list(port: u16, c: &Client) -> Vec<String> {
    let http = reqwest::blocking::Client::new();
    let mut out = Vec::new();
    let mut next = "/xapi/statements?limit=500".to_owned();
    loop {
        let res = http
            .get(format!("http://127.0.0.1:{port}{next}"))
            .basic_auth(&c.key, Some(&c.secret))
            .header("X-Experience-API-Version", "1.0.3")
            .send()
            .unwrap();
        assert_eq!(res.status(), 200, "GET {next} on {port}");
        let page: serde_json::Value = res.json().unwrap();
        for s in page["statements"].as_array().unwrap() {
            out.push(s["id"].as_str().unwrap().to_owned());
        }
        next = page["more"].as_str().unwrap().to_owned();
        if next.is_empty() {
            return out;
        }
    }
}

/// Waits until `port` lists every acknowledged statement, each once, over all stores; answers
/// what it lists.
fn check_lists(port: u16, stores: &[(StoreId, Client)], acked: &[String]) -> HashSet<String> {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let mut all = Vec::new();
        for (_, c) in stores {
            all.extend(list(port, c));
        }
        let unique: HashSet<String> = all.iter().cloned().collect();
        assert_eq!(
            unique.len(),
            all.len(),
            "node {port} lists a statement twice"
        );
        let missing = acked.iter().filter(|id| !unique.contains(*id)).count();
        if missing == 0 {
            return unique;
        }
        assert!(
            Instant::now() < deadline,
            "node {port} does not list {missing} acknowledged statements"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// Whether node `port` (its metrics on `metrics`) holds partition `k`'s lease now.
fn holds(metrics: u16, k: u32) -> bool {
    metric(metrics, &format!("{LEASE_HELD}{{partition=\"{k}\"}}")) == 1.0
}

/// Follows `store`'s live progress on node `port` as the site administrator; answers, from a
/// thread, whether a progress event came within 30 s.
fn progress_seen(port: u16, store: StoreId) -> std::thread::JoinHandle<bool> {
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let login = http
        .post(format!("http://127.0.0.1:{port}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": ADMIN, "password": PASSWORD}))
        .send()
        .unwrap();
    assert_eq!(login.status(), 200, "login on {port}");
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let mut events = http
        .get(format!(
            "http://127.0.0.1:{port}/api/v1/stores/{}/progress",
            store.0
        ))
        .header("Cookie", cookie)
        .send()
        .unwrap();
    assert_eq!(events.status(), 200);
    std::thread::spawn(move || {
        use std::io::Read;
        let mut seen = String::new();
        let mut buf = [0u8; 1024];
        let started = Instant::now();
        // Keep-alive comments come every 15 s, so the deadline is checked at least that often.
        while let Ok(n) = events.read(&mut buf) {
            if n == 0 || started.elapsed() > Duration::from_secs(30) {
                return false;
            }
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
            if seen.contains("data:") {
                return true;
            }
        }
        false
    })
}

#[test]
fn partitions_spread_over_the_nodes_and_survive_a_kill_9_exactly_once() {
    let root = tempfile::tempdir().unwrap();
    let stores = provision(root.path());
    let clients: Vec<Client> = stores.iter().map(|(_, c)| c.clone()).collect();
    let nats = NatsCluster::start(NATS_BASE);
    let urls: Vec<String> = nats.urls().iter().map(|u| format!("{u:?}")).collect();
    let seed_conf = root.path().join("seed.toml");
    std::fs::write(
        &seed_conf,
        format!(
            "log_backend = \"jetstream\"\nnats_urls = [{}]\ndata_dir = {:?}\n",
            urls.join(", "),
            root.path().join("seeder").display().to_string()
        ),
    )
    .unwrap();
    let single = root.path().join("single").display().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .arg("--config")
        .arg(&seed_conf)
        .args(["cluster-seed", "--from", &single])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let db = format!("cairn_parts_{}", uuid::Uuid::new_v4().simple());
    let metrics: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let mut nodes: Vec<Node> = (0..3)
        .map(|i| {
            let env = [
                ("CAIRN_PROJECTION_SHARED", "true".to_owned()),
                ("CAIRN_PROJECTION_PARTITIONS", PARTITIONS.to_string()),
                ("CAIRN_PROJECTION_LEASE_MS", LEASE_MS.to_string()),
                ("CAIRN_METRICS_ADDR", format!("127.0.0.1:{}", metrics[i])),
            ];
            Node::spawn_with(root.path(), &format!("n{i}"), free_port(), &nats, &db, &env)
        })
        .collect();
    // Three live nodes, quota two: the leases spread 2, 1, 1 once every node sees the others.
    let spread = |h: &[u32]| h.iter().sum::<u32>() == PARTITIONS && h.iter().all(|n| *n >= 1);
    wait_held(&metrics, &[0, 1, 2], spread, Duration::from_secs(60));

    // Live dashboards on a node that does not project a store's partition still refresh.
    let (watched, _) = &stores[0];
    let k = partition_of(*watched, PARTITIONS);
    let onlooker = (0..3).find(|i| !holds(metrics[*i], k)).unwrap();
    let progress = progress_seen(nodes[onlooker].port, *watched);

    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let ports: Vec<u16> = nodes.iter().map(|n| n.port).collect();
    let writers = load(&ports, &clients, &acked, &stop);
    assert!(
        progress.join().unwrap(),
        "node {onlooker}, not projecting partition {k}, sent no progress of its store"
    );
    // More than one node inserts into the shared database.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let inserting = (0..3)
            .filter(|i| metric(metrics[*i], INSERTS) > 0.0)
            .count();
        if inserting >= 2 && acked.lock().unwrap().len() >= 200 {
            break;
        }
        assert!(Instant::now() < deadline, "{inserting} nodes inserted");
        std::thread::sleep(Duration::from_millis(100));
    }
    // SIGKILL of a node holding two partitions, mid-flight.
    let victim = (0..3)
        .find(|i| metric(metrics[*i], LEASE_HELD) == 2.0)
        .expect("a node holds two partitions");
    nodes[victim].kill();
    let killed = Instant::now();
    let live: Vec<usize> = (0..3).filter(|i| *i != victim).collect();
    // Two live nodes, quota two each: they take the victim's partitions once its leases and
    // its presence record are a lease old.
    let even = |h: &[u32]| h == [2, 2];
    wait_held(&metrics, &live, even, Duration::from_millis(4 * LEASE_MS));
    eprintln!(
        "the survivors hold every partition {:?} after the kill",
        killed.elapsed()
    );
    let from = acked.lock().unwrap().len();
    let deadline = Instant::now() + Duration::from_secs(60);
    while acked.lock().unwrap().len() < from + 300 {
        assert!(
            Instant::now() < deadline,
            "no writes acknowledged after the kill"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let listed: Vec<HashSet<String>> = live
        .iter()
        .map(|i| check_lists(nodes[*i].port, &stores, &acked))
        .collect();
    assert_eq!(
        listed[0], listed[1],
        "the survivors list different statements"
    );
    let want = listed[0].len() as u64;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (rows, ids) = nodes[live[0]].clickhouse_rows();
        let hourly: u64 = clickhouse(&format!(
            "SELECT toUInt64(countMerge(statements)) FROM {db}.statements_hourly FORMAT TSV"
        ))
        .trim()
        .parse()
        .unwrap_or(0);
        if (rows, ids, hourly) == (want, want, want) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "ClickHouse holds {rows} rows of {ids} statements and counts {hourly}, the nodes \
             list {want}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(
        live.iter().all(|i| metric(metrics[*i], INSERTS) > 0.0),
        "both survivors project"
    );
    // A node set to another number of partitions refuses to start while nodes project with 4.
    let out = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .arg("--config")
        .arg(root.path().join("n0.toml"))
        .arg("serve")
        .env("CAIRN_HTTP_ADDR", format!("127.0.0.1:{}", free_port()))
        .env("CAIRN_DATA_DIR", root.path().join("odd"))
        .env("CAIRN_CLICKHOUSE_URL", cairn_testkit::server_url())
        .env("CAIRN_CLICKHOUSE_DATABASE", &db)
        .env("CAIRN_PROJECTION_SHARED", "true")
        .env("CAIRN_PROJECTION_PARTITIONS", "2")
        .env("CAIRN_METRICS_ADDR", "off")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "a node with 2 partitions started: {err}"
    );
    assert!(
        err.contains("projection_partitions = 4") && err.contains("set to 2"),
        "{err}"
    );
}
