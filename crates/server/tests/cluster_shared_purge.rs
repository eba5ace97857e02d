//! Erasure in a cluster whose nodes share ONE ClickHouse database (`projection_shared`): three
//! real `nats-server` processes as one JetStream cluster, three real `cairn` processes sharing
//! one database of the test ClickHouse. Learners A, B and C post through every node; then, under
//! ingest through every node, A is erased through a node that does not project. Every node
//! serves none of A's statements and every other acknowledged statement exactly once, and the
//! shared tables hold no row of A (statements, the seq-keyed tables, the values index) and every
//! other statement exactly once, with the hourly and monthly aggregates exact hour by hour.
//! Then C is erased through a stand-by while ingest goes on, and the holder of the projection
//! lease is killed with SIGKILL as soon as the erasure has begun: another node takes the lease
//! over, the erasure finishes, and the same checks hold; the killed node, started again,
//! finishes the erasure on its own store and nothing erased comes back into the database.
//! Both with one projection lease and with two partitions (the store's partition and the other
//! one then projected by different nodes; the two tests run at once, on their own ports).
mod cluster;
mod common;

use cluster::erasure::{Admin, assert_erased, statements};
use cluster::nats::NatsCluster;
use cluster::node::{Node, clickhouse, metric};
use cluster::provision::{Client, provision};
use common::process::free_port;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One cluster per test: nats-server client ports `base`–`base + 2` (routes `base + 5`–`base +
/// 7`), the nodes on `base + 10`–`base + 12`.
struct Ports {
    nats: u16,
    nodes: [u16; 3],
}

impl Ports {
    const fn at(base: u16) -> Ports {
        Ports {
            nats: base,
            nodes: [base + 10, base + 11, base + 12],
        }
    }
}

const LEASE_MS: u64 = 4000;
const ADMIN: &str = "admin@example.com";
const PASSWORD: &str = "shared-purge-password";
/// The erased learners; nothing else contains their marks.
const ALICE: &str = "mailto:zqalice@example.com";
const CAROL: &str = "mailto:zqcarol@example.com";
const BOB: &str = "mailto:bob@example.com";
const LOAD: &str = "mailto:load@example.com";

/// The one node (among `live`) whose gauge `held` says it holds the store's projection lease.
fn holder(metrics: &[u16], held: &str, live: &[usize], within: Duration) -> usize {
    let started = Instant::now();
    loop {
        let holding: Vec<usize> = live
            .iter()
            .copied()
            .filter(|i| metric(metrics[*i], held) == 1.0)
            .collect();
        assert!(holding.len() <= 1, "two nodes hold the lease: {holding:?}");
        if holding.len() == 1 {
            return holding[0];
        }
        assert!(started.elapsed() < within, "no node holds the lease");
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// Every node (among `live`) seen holding the store's lease while the watch runs, sampled
/// every 25 ms (a purge's phase under the lease takes longer than that).
struct Holders {
    seen: Arc<Mutex<HashSet<usize>>>,
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Holders {
    fn watch(metrics: &[u16], held: &str, live: &[usize]) -> Holders {
        let seen: Arc<Mutex<HashSet<usize>>> = Arc::default();
        let stop: Arc<AtomicBool> = Arc::default();
        let (metrics, held, live) = (metrics.to_vec(), held.to_owned(), live.to_vec());
        let thread = std::thread::spawn({
            let (seen, stop) = (seen.clone(), stop.clone());
            move || {
                while !stop.load(Ordering::Relaxed) {
                    for i in &live {
                        if metric(metrics[*i], &held) == 1.0 {
                            seen.lock().unwrap().insert(*i);
                        }
                    }
                    std::thread::sleep(Duration::from_millis(25));
                }
            }
        });
        Holders { seen, stop, thread }
    }

    fn stop(self) -> HashSet<usize> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap();
        self.seen.lock().unwrap().clone()
    }
}

/// Two writers per node posting LOAD's statements until `stop`; the ids of each batch
/// answered 200 go into `acked`, those of a batch answered otherwise or not at all (it may
/// have been stored all the same) into `unsure`.
fn load(
    ports: Vec<u16>,
    c: &Client,
    (acked, unsure): (&Shared, &Shared),
    stop: &Arc<AtomicBool>,
) -> Vec<std::thread::JoinHandle<()>> {
    let mut threads = Vec::new();
    for port in ports {
        for w in 0..2 {
            let (acked, unsure, stop) = (acked.clone(), unsure.clone(), stop.clone());
            let (key, secret) = (c.key.clone(), c.secret.clone());
            threads.push(std::thread::spawn(move || {
                let http = reqwest::blocking::Client::builder()
                    .timeout(Duration::from_secs(30))
                    .build()
                    .unwrap();
                while !stop.load(Ordering::Relaxed) {
                    let (ids, body) = statements(LOAD, 1 + 4 * w);
                    let res = http
                        .post(format!("http://127.0.0.1:{port}/xapi/statements"))
                        .basic_auth(&key, Some(&secret))
                        .header("X-Experience-API-Version", "1.0.3")
                        .json(&body)
                        .send();
                    match res {
                        Ok(r) if r.status() == 200 => acked.lock().unwrap().extend(ids),
                        _ => {
                            unsure.lock().unwrap().extend(ids);
                            std::thread::sleep(Duration::from_millis(100));
                        }
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            }));
        }
    }
    threads
}

type Shared = Arc<Mutex<Vec<String>>>;

/// Waits (up to 150 s) until `node` lists every statement of `acked`, none of `gone`, and
/// nothing else but statements of `unsure`, each once; answers what it lists.
fn settled(
    http: &reqwest::blocking::Client,
    node: &Node,
    c: &Client,
    acked: &HashSet<String>,
    unsure: &HashSet<String>,
    gone: &[String],
) -> HashSet<String> {
    let deadline = Instant::now() + Duration::from_secs(150);
    loop {
        let served = cluster::provision::list(http, node.port, c, "");
        let unique: HashSet<String> = served.iter().cloned().collect();
        assert_eq!(unique.len(), served.len(), "{} lists one twice", node.port);
        let missing = acked.difference(&unique).count();
        let erased = gone.iter().filter(|g| unique.contains(*g)).count();
        let other = unique
            .iter()
            .filter(|id| !acked.contains(*id) && !unsure.contains(*id))
            .count();
        if missing + erased + other == 0 {
            return unique;
        }
        assert!(
            Instant::now() < deadline,
            "node {} lists {} statements: {missing} acknowledged ones missing, {erased} erased, \
             {other} never posted\n{}",
            node.port,
            unique.len(),
            node.log()
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

fn quoted(ids: &[String]) -> String {
    ids.iter()
        .map(|i| format!("'{i}'"))
        .collect::<Vec<_>>()
        .join(",")
}

fn number(q: &str) -> u64 {
    let text = clickhouse(q);
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("{q}: {text}"))
}

/// The `seq` of each of `ids` in the shared `statements`.
fn seqs_of(db: &str, ids: &[String]) -> Vec<u64> {
    clickhouse(&format!(
        "SELECT seq FROM {db}.statements WHERE toString(statement_id) IN ({}) FORMAT TSV",
        quoted(ids)
    ))
    .lines()
    .map(|l| l.parse().unwrap())
    .collect()
}

/// What is wrong with the shared database, if anything: rows of `gone` (by id, by seq in every
/// seq-keyed table, by the marks of their actors in `statements` and in the values index), a
/// statement of `kept` missing or twice, another statement, or an aggregate hour or month
/// that does not count exactly the statements stored in it.
fn database_fault(
    db: &str,
    gone: &[String],
    gone_seqs: &[u64],
    marks: &[&str],
    kept: &HashSet<String>,
) -> Option<String> {
    let kept_list: Vec<String> = kept.iter().cloned().collect();
    let (rows, distinct) = {
        let text = clickhouse(&format!(
            "SELECT count(), uniqExact(statement_id) FROM {db}.statements FORMAT TSV"
        ));
        let mut it = text.split_whitespace().map(|n| n.parse::<u64>().unwrap());
        (it.next().unwrap(), it.next().unwrap())
    };
    let want = kept.len() as u64;
    if (rows, distinct) != (want, want) {
        return Some(format!(
            "{rows} rows, {distinct} statements, {want} expected"
        ));
    }
    let found = number(&format!(
        "SELECT count() FROM {db}.statements WHERE toString(statement_id) IN ({}) FORMAT TSV",
        quoted(&kept_list)
    ));
    if found != want {
        return Some(format!("{found} of the {want} kept statements"));
    }
    if gone.is_empty() {
        return aggregates_fault(db);
    }
    let erased = number(&format!(
        "SELECT count() FROM {db}.statements WHERE toString(statement_id) IN ({}) FORMAT TSV",
        quoted(gone)
    ));
    if erased != 0 {
        return Some(format!("{erased} erased statements"));
    }
    let seqs: Vec<String> = gone_seqs.iter().map(u64::to_string).collect();
    for table in [
        "statements",
        "voids",
        "actor_hours",
        "voided",
        "statement_key_index",
    ] {
        let n = number(&format!(
            "SELECT count() FROM {db}.{table} WHERE seq IN ({}) FORMAT TSV",
            seqs.join(",")
        ));
        if n != 0 {
            return Some(format!("{n} rows of erased statements in {table}"));
        }
    }
    for mark in marks {
        let n = number(&format!(
            "SELECT count() FROM {db}.statements WHERE positionCaseInsensitive(actor_ifi, '{mark}') > 0 FORMAT TSV"
        ));
        let v = number(&format!(
            "SELECT count() FROM {db}.query_values WHERE positionCaseInsensitive(value, '{mark}') > 0 FORMAT TSV"
        ));
        if n + v != 0 {
            return Some(format!("{n} statements and {v} values naming {mark}"));
        }
    }
    aggregates_fault(db)
}

/// An hour of `statements_hourly` or a month of `query_values` that does not count exactly the
/// statements stored in it, if any.
fn aggregates_fault(db: &str) -> Option<String> {
    let raw = clickhouse(&format!(
        "SELECT toUInt32(toStartOfHour(stored, 'UTC')) AS h, count() FROM {db}.statements \
         GROUP BY h ORDER BY h FORMAT TSV"
    ));
    let hourly = clickhouse(&format!(
        "SELECT toUInt32(stored_hour) AS h, toUInt64(countMerge(statements)) FROM \
         {db}.statements_hourly GROUP BY h HAVING countMerge(statements) > 0 ORDER BY h FORMAT TSV"
    ));
    if raw != hourly {
        return Some(format!(
            "hours: statements\n{raw}statements_hourly\n{hourly}"
        ));
    }
    let raw = clickhouse(&format!(
        "SELECT toYYYYMM(stored) AS m, count() FROM {db}.statements GROUP BY m ORDER BY m FORMAT TSV"
    ));
    let monthly = clickhouse(&format!(
        "SELECT toYYYYMM(month) AS m, toUInt64(countMerge(statements)) FROM {db}.query_values \
         WHERE path = '' GROUP BY m HAVING countMerge(statements) > 0 ORDER BY m FORMAT TSV"
    ));
    if raw != monthly {
        return Some(format!("months: statements\n{raw}query_values\n{monthly}"));
    }
    None
}

/// Waits (up to 90 s) until the shared database is exactly as it should be.
fn assert_database(
    db: &str,
    gone: &[String],
    gone_seqs: &[u64],
    marks: &[&str],
    kept: &HashSet<String>,
    nodes: &[&Node],
) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let Some(fault) = database_fault(db, gone, gone_seqs, marks, kept) else {
            return;
        };
        assert!(
            Instant::now() < deadline,
            "the shared database: {fault}\n{}",
            nodes
                .iter()
                .map(|n| n.log())
                .collect::<Vec<_>>()
                .join("\n----\n")
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// Which nodes logged the ClickHouse phase of purge `id`, and how long it took there (s).
fn phase_done_by(nodes: &[Node], id: &str) -> Vec<usize> {
    let mut by = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        let log = node.log();
        let done = log
            .lines()
            .find(|l| l.contains("rows removed from the shared database") && l.contains(id));
        if let Some(line) = done {
            let seconds = line.split("seconds=").nth(1).unwrap_or("?");
            eprintln!("node {i} did the ClickHouse phase of {id} in {seconds} s");
            by.push(i);
        }
    }
    by
}

#[test]
fn a_learner_erased_under_ingest_is_gone_once_from_a_shared_database_across_a_kill_9() {
    erase_in_a_shared_database(Ports::at(18840), 1);
}

/// The same with two projection partitions: the store's partition is projected by one node,
/// the other partition by another.
#[test]
fn the_same_with_projection_partitions() {
    erase_in_a_shared_database(Ports::at(18860), 2);
}

fn erase_in_a_shared_database(ports: Ports, partitions: u32) {
    let root = tempfile::tempdir().unwrap();
    let nats = NatsCluster::start(ports.nats);
    let client = provision(root.path(), &nats, ADMIN, PASSWORD, "shared-purge");
    let db = format!("cairn_shared_purge_{}", uuid::Uuid::new_v4().simple());
    let metrics: Vec<u16> = (0..3).map(|_| free_port()).collect();
    // The gauge of the lease of the store's partition.
    let held = match partitions {
        1 => "cairn_projection_lease_held".to_owned(),
        p => {
            let store = cairn_core::StoreId(client.store.parse().unwrap());
            let k = cairn_core::projection_lease::partition::partition_of(store, p);
            format!("cairn_projection_lease_held{{partition=\"{k}\"}}")
        }
    };
    let spawn = |i: usize| {
        let env = [
            ("CAIRN_PROJECTION_SHARED", "true".to_owned()),
            ("CAIRN_PROJECTION_PARTITIONS", partitions.to_string()),
            ("CAIRN_PROJECTION_LEASE_MS", LEASE_MS.to_string()),
            ("CAIRN_METRICS_ADDR", format!("127.0.0.1:{}", metrics[i])),
            ("CAIRN_LOG", "warn,cairn_core::purge=info".to_owned()),
        ];
        Node::spawn_with(
            root.path(),
            &format!("n{i}"),
            ports.nodes[i],
            &nats,
            &db,
            &env,
        )
    };
    let mut nodes: Vec<Node> = (0..3).map(spawn).collect();
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();

    // The learners' statements through every node, in several messages each.
    let (mut alice, mut bob, mut carol) = (Vec::new(), Vec::new(), Vec::new());
    for node in &nodes {
        for _ in 0..3 {
            let (a, mut body) = statements(ALICE, 5);
            let (b, b_body) = statements(BOB, 5);
            let (c, c_body) = statements(CAROL, 3);
            body.extend(b_body);
            body.extend(c_body);
            cluster::erasure::post(&http, node.port, &client, &body);
            alice.extend(a);
            bob.extend(b);
            carol.extend(c);
        }
    }
    let everything: HashSet<String> = alice.iter().chain(&bob).chain(&carol).cloned().collect();
    for node in &nodes {
        cluster::provision::wait_lists(&http, node, &client, &everything);
    }
    let all: Vec<&Node> = nodes.iter().collect();
    assert_database(&db, &[], &[], &[], &everything, &all);
    let (alice_seqs, carol_seqs) = (seqs_of(&db, &alice), seqs_of(&db, &carol));
    assert_eq!(alice_seqs.len(), alice.len());

    // A is erased through a node that does not project, while every node takes writes.
    let (acked, unsure): (Shared, Shared) = Default::default();
    let stop = Arc::new(AtomicBool::new(false));
    let writers = load(ports.nodes.to_vec(), &client, (&acked, &unsure), &stop);
    let first = holder(&metrics, &held, &[0, 1, 2], Duration::from_secs(30));
    let through = (first + 1) % 3;
    std::thread::sleep(Duration::from_millis(500));
    let admin = Admin::on(&http, ports.nodes[through], ADMIN, PASSWORD);
    let holders = Holders::watch(&metrics, &held, &[0, 1, 2]);
    let started = Instant::now();
    let id = admin.start_erasure(&http, &client, ALICE);
    admin.wait_state(&http, &id, &["finished"]);
    let finished = started.elapsed();
    let seen = holders.stop();
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    let loaded = acked.lock().unwrap().clone();
    assert!(
        !loaded.is_empty(),
        "nothing was acknowledged under the erasure"
    );
    // A batch whose answer was lost may be stored: what the deciding node then lists, exactly
    // that, is what every node and the database must hold.
    std::thread::sleep(Duration::from_secs(2));
    let acked: HashSet<String> = bob.iter().chain(&carol).chain(&loaded).cloned().collect();
    let unsure: HashSet<String> = unsure.lock().unwrap().iter().cloned().collect();
    let mut kept = settled(&http, &nodes[through], &client, &acked, &unsure, &alice);
    for node in &nodes {
        assert_erased(&http, node, &client, &kept, &alice);
    }
    let everywhere = started.elapsed();
    assert_database(&db, &alice, &alice_seqs, &["zqalice"], &kept, &all);
    let by = phase_done_by(&nodes, &id);
    eprintln!(
        "A's {} statements erased through node {through} (node {first} projects) under ingest \
         ({} statements acknowledged meanwhile): finished on node {through} after {finished:?}, \
         gone from every node after {everywhere:?}; ClickHouse phase done by {by:?}",
        alice.len(),
        loaded.len()
    );
    assert!(!by.is_empty(), "nobody removed A's shared rows");
    assert!(
        by.iter().all(|i| seen.contains(i)),
        "A's shared rows removed by {by:?}, but only {seen:?} held the lease meanwhile"
    );

    // C is erased through a stand-by, and the lease's holder is killed once it has begun.
    let (acked, unsure): (Shared, Shared) = Default::default();
    let stop = Arc::new(AtomicBool::new(false));
    let victim = holder(&metrics, &held, &[0, 1, 2], Duration::from_secs(30));
    let live: Vec<usize> = (0..3).filter(|i| *i != victim).collect();
    let live_ports: Vec<u16> = live.iter().map(|i| ports.nodes[*i]).collect();
    let writers = load(live_ports, &client, (&acked, &unsure), &stop);
    let through = live[0];
    let admin = Admin::on(&http, ports.nodes[through], ADMIN, PASSWORD);
    let started = Instant::now();
    let carol_id = admin.start_erasure(&http, &client, CAROL);
    let state = admin.wait_state(
        &http,
        &carol_id,
        &[
            "waiting",
            "projection",
            "removing",
            "compacting",
            "rewriting",
            "finished",
        ],
    );
    nodes[victim].kill();
    eprintln!(
        "node {victim} (the lease's holder) killed while the erasure was {state} on node {through}"
    );
    // With two live nodes and two partitions the lease may move again (each node takes its
    // share), so every node seen holding it may have done the phase.
    let holders = Holders::watch(&metrics, &held, &live);
    let next = holder(&metrics, &held, &live, Duration::from_millis(3 * LEASE_MS));
    admin.wait_state(&http, &carol_id, &["finished"]);
    let finished = started.elapsed();
    let seen = holders.stop();
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    kept.extend(acked.lock().unwrap().iter().cloned());
    for c in &carol {
        kept.remove(c);
    }
    std::thread::sleep(Duration::from_secs(2));
    let unsure: HashSet<String> = unsure.lock().unwrap().iter().cloned().collect();
    let kept = settled(&http, &nodes[through], &client, &kept, &unsure, &carol);
    for i in &live {
        assert_erased(&http, &nodes[*i], &client, &kept, &carol);
    }
    let gone: Vec<String> = alice.iter().chain(&carol).cloned().collect();
    let gone_seqs: Vec<u64> = alice_seqs.iter().chain(&carol_seqs).copied().collect();
    let survivors: Vec<&Node> = live.iter().map(|i| &nodes[*i]).collect();
    assert_database(
        &db,
        &gone,
        &gone_seqs,
        &["zqalice", "zqcarol"],
        &kept,
        &survivors,
    );
    let by = phase_done_by(&nodes, &carol_id);
    eprintln!(
        "C's {} statements erased: the lease went to node {next}; finished on node {through} \
         after {finished:?}; ClickHouse phase done by {by:?}; lease held by {seen:?}",
        carol.len()
    );
    assert!(!by.is_empty(), "nobody removed C's shared rows");
    assert!(
        by.iter().all(|i| *i == victim || seen.contains(i)),
        "C's shared rows removed by {by:?}, but only node {victim} (killed) and {seen:?} held \
         the lease meanwhile"
    );

    // The killed node comes back: it finishes the erasure on its own store, serves exactly the
    // kept statements, and nothing erased returns to the database.
    nodes[victim] = spawn(victim);
    assert_erased(&http, &nodes[victim], &client, &kept, &carol);
    assert_erased(&http, &nodes[victim], &client, &kept, &alice);
    let all: Vec<&Node> = nodes.iter().collect();
    assert_database(&db, &gone, &gone_seqs, &["zqalice", "zqcarol"], &kept, &all);
}
