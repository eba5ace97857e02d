//! Forwarding from one node at a time: three real `nats-server` processes as one JetStream
//! cluster, three real `cairn` processes on its log, one webhook forwarder and a receiver run by
//! this test. Statements are posted through every node while (1) the node holding the
//! forwarding lease is stopped cleanly, and (2) the next holder is killed with SIGKILL. Each time
//! another node takes the lease over and resumes from the forwarder's shared cursor. In the end
//! every acknowledged statement was delivered; each statement always came with one idempotency
//! key (a batch sent again after a take-over carries the key of its first try); no batch was
//! delivered twice across the clean hand-over, and after the kill only the batches in flight at
//! that moment (at most `forward_in_flight` of them) were delivered again. A stand-by node
//! answers the forwarder's status from the shared record.
mod cluster;
#[path = "forwarding/receiver.rs"]
mod receiver;

use cluster::admin::{admin, admin_token, holder};
use cluster::nats::NatsCluster;
use cluster::node::{Node, load};
use receiver::Receiver;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// nats-server client ports 18730–18732 (routes 18735–18737).
const NATS_BASE: u16 = 18730;
/// Cairn's HTTP ports, then its metrics ports; the receiver's port.
const HTTP: [u16; 3] = [18750, 18751, 18752];
const METRICS: [u16; 3] = [18753, 18754, 18755];
const HOOK_PORT: u16 = 18756;
const LEASE_MS: u64 = 2000;
const HOOK_SECRET: &str = "cluster-hook-secret-0123456789";
const STORE: &str = "00000000-0000-0000-0000-000000000001";
/// Batches one forwarder keeps in hand (the default `forward_in_flight`).
const IN_FLIGHT: usize = 4;

/// One acknowledged (200) webhook request: its idempotency key and statement ids.
struct Delivery {
    key: String,
    ids: Vec<String>,
}

fn deliveries(r: &Receiver) -> Vec<Delivery> {
    r.got()
        .into_iter()
        .filter(|g| g.answered == 200)
        .map(|g| {
            assert!(receiver::signed_with(&g, HOOK_SECRET), "a request unsigned");
            let key = g.headers["idempotency-key"].clone();
            let body: Value = serde_json::from_slice(&g.body).unwrap();
            assert_eq!(body["idempotency_key"], key.as_str());
            Delivery {
                key,
                ids: receiver::statement_ids(&g.body),
            }
        })
        .collect()
}

/// Waits until the receiver acknowledged `n` more statements than `from`.
fn delivered_past(r: &Receiver, from: usize, n: usize, what: &str) -> usize {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let now = r.delivered().len();
        if now >= from + n {
            return now;
        }
        assert!(Instant::now() < deadline, "nothing delivered after {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn one_node_forwards_and_another_resumes_from_the_shared_cursor() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let hook = Receiver::default();
    // Answers take up to 40 ms, so that batches are in flight when the holder goes.
    *hook.jitter_ms.lock().unwrap() = 40;
    rt.block_on(hook.clone().serve_on(HOOK_PORT));
    let root = tempfile::tempdir().unwrap();
    let nats = NatsCluster::start(NATS_BASE);
    let spawn = |i: usize| {
        let db = format!("cairn_cfwd_{}", uuid::Uuid::new_v4().simple());
        let env = [
            ("CAIRN_FORWARDING_LEASE_MS", LEASE_MS.to_string()),
            ("CAIRN_FORWARD_ALLOW_PRIVATE_TARGETS", "true".to_owned()),
            ("CAIRN_METRICS_ADDR", format!("127.0.0.1:{}", METRICS[i])),
            ("CAIRN_LOG", "info".to_owned()),
        ];
        Node::spawn_with(root.path(), &format!("n{i}"), HTTP[i], &nats, &db, &env)
    };
    let mut nodes: Vec<Node> = (0..3).map(spawn).collect();
    // Each start replaces the set-up link: the last node's is the one that works.
    let token = admin_token(&nodes[2], &root.path().join("n2.out"));
    let (s, f) = admin(
        HTTP[2],
        &token,
        reqwest::Method::POST,
        &format!("/stores/{STORE}/forwarders"),
        Some(json!({
            "name": "hook",
            "batch_size": 10,
            "target": {
                "type": "webhook",
                "url": format!("http://127.0.0.1:{HOOK_PORT}/in"),
                "secret": HOOK_SECRET,
            },
        })),
    );
    assert_eq!(s, 201, "{f}");
    let fid = f["id"].as_str().unwrap().to_owned();
    let first = holder(&METRICS, &[0, 1, 2], Duration::from_secs(30));

    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let writers = load(&HTTP, &acked, &stop);
    let n = delivered_past(&hook, 0, 200, "the start");

    // (1) A clean stop of the holder, mid-stream.
    nodes[first].terminate();
    let clean_at = hook.got().len();
    let live: Vec<usize> = (0..3).filter(|i| *i != first).collect();
    let second = holder(&METRICS, &live, Duration::from_millis(2 * LEASE_MS));
    eprintln!("node {second} forwards after the clean stop of node {first}");
    let n = delivered_past(&hook, n, 200, "the clean stop");

    // A stand-by answers the status from the shared record.
    let standby = *live.iter().find(|i| **i != second).unwrap();
    let path = format!("/stores/{STORE}/forwarders/{fid}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (s, v) = admin(HTTP[standby], &token, reqwest::Method::GET, &path, None);
        assert_eq!(s, 200, "{v}");
        let cursor = v["status"]["cursor"].as_u64().unwrap_or(0);
        if cursor > 0 && v["status"]["last_success"].is_string() {
            assert_eq!(v["status"]["consecutive_failures"], 0, "{v}");
            break;
        }
        assert!(Instant::now() < deadline, "the stand-by's status: {v}");
        std::thread::sleep(Duration::from_millis(100));
    }

    // (2) kill -9 of the next holder, mid-stream.
    nodes[second].kill();
    // Requests the killed node had written may still be arriving; no other node sends before
    // the lease has run out.
    std::thread::sleep(Duration::from_millis(LEASE_MS / 4));
    let kill_at = hook.got().len();
    let third = holder(&METRICS, &[standby], Duration::from_millis(3 * LEASE_MS));
    eprintln!("node {third} forwards after the kill of node {second}");
    delivered_past(&hook, n, 200, "the kill");
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }

    // Every acknowledged statement reaches the target.
    let acked: Vec<String> = acked.lock().unwrap().clone();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let got: HashSet<String> = hook.delivered().into_iter().collect();
        let missing = acked.iter().filter(|id| !got.contains(*id)).count();
        if missing == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{missing} of {} acknowledged statements never delivered:\n{}",
            acked.len(),
            nodes[third].log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // Each statement always came with one key; a key always with the same statements.
    let all = deliveries(&hook);
    let mut key_of: HashMap<&str, &str> = HashMap::new();
    let mut ids_of: HashMap<&str, &Vec<String>> = HashMap::new();
    for d in &all {
        for id in &d.ids {
            let k = key_of.entry(id).or_insert(&d.key);
            assert_eq!(*k, d.key, "statement {id} came with two keys");
        }
        let ids = ids_of.entry(&d.key).or_insert(&d.ids);
        assert_eq!(**ids, d.ids, "key {} came with two batches", d.key);
    }
    // Batches delivered more than once: only those in flight at the kill. (Indexes count every
    // request the receiver answered, in arrival order.)
    let got = hook.got();
    let mut first_seen: HashMap<String, usize> = HashMap::new();
    let mut again: Vec<(String, usize, usize)> = Vec::new();
    for (i, g) in got.iter().enumerate().filter(|(_, g)| g.answered == 200) {
        let key = g.headers["idempotency-key"].clone();
        match first_seen.get(&key) {
            Some(f) => again.push((key, *f, i)),
            None => {
                first_seen.insert(key, i);
            }
        }
    }
    eprintln!(
        "{} statements acknowledged, {} requests delivered, {} batches delivered again: {again:?} \
         (clean stop at request {clean_at}, kill at {kill_at})",
        acked.len(),
        all.len(),
        again.len()
    );
    for (key, first, _) in &again {
        assert!(
            *first >= clean_at && *first < kill_at,
            "batch {key} first delivered at request {first} was delivered again, though not in \
             flight at the kill (clean stop at {clean_at}, kill at {kill_at})"
        );
    }
    assert!(
        again.len() <= IN_FLIGHT,
        "{} batches delivered again: {again:?}",
        again.len()
    );
}
