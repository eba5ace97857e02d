//! Cluster mode under `kill -9`: three real `nats-server` processes as one JetStream cluster and
//! three real `cairn` processes sharing its log, each projecting into its own ClickHouse
//! database. Statements are posted through every node; one Cairn node and one nats-server are
//! killed with SIGKILL under that load. Afterwards every acknowledged statement is served exactly
//! once by each surviving node and by the killed node once restarted (it catches up from the
//! log), and each node's ClickHouse database holds each statement once.
mod cluster;

use cluster::nats::NatsCluster;
use cluster::node::{Node, check_node, load};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// nats-server client ports 18620–18622 (routes 18625–18627); Cairn nodes from 18630.
const NATS_BASE: u16 = 18620;
const NODE_BASE: u16 = 18630;

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
