//! Cluster nodes sharing ONE ClickHouse database (`projection_shared`): three real
//! `nats-server` processes as one JetStream cluster, three real `cairn` processes on its log,
//! one database on one ClickHouse server. Only the holder of the projection lease projects.
//! Statements are posted through every node; the holder is killed with SIGKILL under that
//! load, then one nats-server. A survivor must take the lease over within the lease time and its margin, and then
//! every acknowledged statement is in the shared `statements` table exactly once, the hourly
//! aggregate counts each once, and both survivors serve each once (a filtered read too).
//! Exactly one node inserts at a time: before the kill only the first holder has inserted, after
//! it only one survivor (each node's `/metrics`). The killed node then comes back as a stand-by,
//! and a clean stop of the holder hands the lease over without waiting for it to expire.
mod cluster;
mod common;

use cluster::nats::NatsCluster;
use cluster::node::{Node, check_node, clickhouse, load, metric};
use common::process::free_port;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// nats-server client ports 18640–18642 (routes 18645–18647).
const NATS_BASE: u16 = 18640;
const LEASE_MS: u64 = 3000;
/// What the lease's holder keeps of it for the end of its last write (half the lease).
const MARGIN_MS: u64 = LEASE_MS / 2;

const HELD: &str = "cairn_projection_lease_held";
const INSERTS: &str = "cairn_clickhouse_request_duration_seconds_count{op=\"insert\"}";

/// The one node (by index, among `live`) whose gauge says it holds the lease, once exactly
/// one does; panics after `within`.
fn holder(metrics: &[u16], live: &[usize], within: Duration) -> usize {
    let started = Instant::now();
    loop {
        let held: Vec<usize> = live
            .iter()
            .copied()
            .filter(|i| metric(metrics[*i], HELD) == 1.0)
            .collect();
        if held.len() == 1 {
            return held[0];
        }
        assert!(
            held.len() <= 1,
            "two nodes hold the projection lease: {held:?}"
        );
        assert!(
            started.elapsed() < within,
            "no node took the projection lease within {within:?}"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

#[test]
fn nodes_sharing_one_database_project_each_statement_once_across_a_kill_9_of_the_holder() {
    let root = tempfile::tempdir().unwrap();
    let mut nats = NatsCluster::start(NATS_BASE);
    let db = format!("cairn_shared_{}", uuid::Uuid::new_v4().simple());
    let metrics: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let spawn = |i: usize, nats: &NatsCluster| {
        let env = [
            ("CAIRN_PROJECTION_SHARED", "true".to_owned()),
            ("CAIRN_PROJECTION_LEASE_MS", LEASE_MS.to_string()),
            ("CAIRN_METRICS_ADDR", format!("127.0.0.1:{}", metrics[i])),
        ];
        Node::spawn_with(root.path(), &format!("n{i}"), free_port(), nats, &db, &env)
    };
    let mut nodes: Vec<Node> = (0..3).map(|i| spawn(i, &nats)).collect();
    let first = holder(&metrics, &[0, 1, 2], Duration::from_secs(30));
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let ports: Vec<u16> = nodes.iter().map(|n| n.port).collect();
    let writers = load(&ports, &acked, &stop);
    // Until the holder has projected something.
    let deadline = Instant::now() + Duration::from_secs(30);
    while metric(metrics[first], INSERTS) < 3.0 || acked.lock().unwrap().len() < 50 {
        assert!(
            Instant::now() < deadline,
            "nothing projected:\n{}",
            nodes[first].log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    for i in (0..3).filter(|i| *i != first) {
        assert_eq!(
            metric(metrics[i], INSERTS),
            0.0,
            "stand-by node {i} inserted"
        );
    }
    let before = acked.lock().unwrap().len();
    // SIGKILL of the lease's holder while the writers are mid-flight.
    nodes[first].kill();
    let killed = Instant::now();
    let live: Vec<usize> = (0..3).filter(|i| *i != first).collect();
    let second = holder(&metrics, &live, Duration::from_millis(LEASE_MS + MARGIN_MS));
    let took = killed.elapsed();
    eprintln!("node {second} took the projection lease {took:?} after the kill of node {first}");
    let more_acked = |n: usize, what: &str| {
        let from = acked.lock().unwrap().len();
        let deadline = Instant::now() + Duration::from_secs(60);
        while acked.lock().unwrap().len() < from + n {
            assert!(
                Instant::now() < deadline,
                "no writes acknowledged after {what}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    more_acked(300, "the kill of the holder");
    // The new holder first stops what the old one still had running and cleans up (mutations,
    // slow on a busy machine), then projects.
    let deadline = Instant::now() + Duration::from_secs(60);
    while metric(metrics[second], INSERTS) == 0.0 {
        assert!(
            Instant::now() < deadline,
            "the new holder {second} never projected:\n{}",
            nodes[second].log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // One projector at a time: of the survivors, only the new holder has inserted.
    let other = live.iter().copied().find(|i| *i != second).unwrap();
    assert_eq!(
        metric(metrics[other], INSERTS),
        0.0,
        "stand-by node {other} inserted"
    );
    // SIGKILL of a nats-server under the same load: the log and the lease's record keep a
    // majority of their copies. (While JetStream moves their leaders the holder may miss its
    // renewals and the lease may change hands: exactly once still holds, checked below.)
    nats.kill(0);
    more_acked(300, "the kill of a nats-server");
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    eprintln!(
        "{} statements acknowledged ({before} before the kill)",
        acked.len()
    );
    // Every survivor serves every acknowledged statement once, listed plainly and filtered.
    let mut listed = Vec::new();
    for i in &live {
        listed.push(check_node(&nodes[*i], &acked));
        let verb = "verb=http%3A%2F%2Fexample.com%2Fverbs%2Fclustered&limit=300";
        let filtered = nodes[*i].list(verb);
        let unique: HashSet<&String> = filtered.iter().collect();
        assert_eq!(
            unique.len(),
            filtered.len(),
            "node {i}: a filtered read lists twice"
        );
        assert!(
            acked.iter().all(|id| unique.contains(id)),
            "node {i}: filtered read misses"
        );
    }
    assert_eq!(
        listed[0], listed[1],
        "the survivors list different statements"
    );
    // The shared database: each statement once, the hourly aggregate exact.
    let want = listed[0].len() as u64;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (rows, ids) = nodes[second].clickhouse_rows();
        let hourly: u64 = clickhouse(&format!(
            "SELECT toUInt64(countMerge(statements)) FROM {db}.statements_hourly FORMAT TSV"
        ))
        .trim()
        .parse()
        .unwrap_or(0);
        if rows == want && ids == want && hourly == want {
            break;
        }
        assert!(
            Instant::now() < deadline && rows <= want && hourly <= want,
            "{rows} rows, {ids} distinct statements, {hourly} counted hourly, for {want} \
             statements:\n{}",
            nodes[second].log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let ids: HashSet<String> = clickhouse(&format!(
        "SELECT toString(statement_id) FROM {db}.statements FORMAT TSV"
    ))
    .lines()
    .map(str::to_owned)
    .collect();
    assert!(
        acked.iter().all(|id| ids.contains(id)),
        "an acknowledged statement is not projected"
    );

    // The killed node comes back as a stand-by: it serves everything and inserts nothing.
    nats.restart(0);
    nodes[first] = spawn(first, &nats);
    check_node(&nodes[first], &acked);
    assert_eq!(metric(metrics[first], HELD), 0.0);
    // A clean stop of the holder hands the lease over at once (no wait for it to expire), and
    // the next holder projects what is posted afterwards.
    let now = holder(&metrics, &live, Duration::from_millis(LEASE_MS + MARGIN_MS));
    nodes[now].terminate();
    let stopped = Instant::now();
    let rest: Vec<usize> = (0..3).filter(|i| *i != now).collect();
    let third = holder(&metrics, &rest, Duration::from_millis(LEASE_MS / 2));
    eprintln!(
        "node {third} took the released lease {:?} after node {now} stopped",
        stopped.elapsed()
    );
    let (more, body) = cluster::node::batch(10);
    let r = reqwest::blocking::Client::new()
        .post(format!(
            "http://127.0.0.1:{}/xapi/statements",
            nodes[third].port
        ))
        .basic_auth(cluster::node::KEY, Some(cluster::node::SECRET))
        .header("X-Experience-API-Version", "1.0.3")
        .json(&body)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let want = want + more.len() as u64;
    let deadline = Instant::now() + Duration::from_secs(30);
    while nodes[third].clickhouse_rows() != (want, want) {
        assert!(
            Instant::now() < deadline,
            "the next holder does not project:\n{}",
            nodes[third].log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
