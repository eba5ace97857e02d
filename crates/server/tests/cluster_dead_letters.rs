//! Dead letters are the cluster's: three real `nats-server` processes as one JetStream cluster,
//! three real `cairn` processes on its log, one webhook forwarder and a receiver run by this
//! test. The receiver refuses (422) two batches; each becomes a dead letter that every node lists,
//! with the same count in every node's status, still after the node that recorded them is
//! killed with SIGKILL. A retry through another node sends the batch from that node's log (the
//! receiver gets it) and removes the dead letter everywhere; a discard through a third node
//! removes the other everywhere; a second discard, and a retry of a discarded one, are 404.
//! A dead letter left in a node's own keyspace (as an older version kept them) is moved into
//! the cluster's bucket when the node starts again, and every node lists it.
mod cluster;
#[path = "forwarding/receiver.rs"]
mod receiver;

use cairn_core::forwarding::DeadLetter;
use cairn_core::forwarding::model::dead_key;
use cairn_core::ports::LogStore;
use cairn_store::FjallStore;
use cluster::admin::{admin, admin_token, holder};
use cluster::nats::NatsCluster;
use cluster::node::{KEY, Node, SECRET, batch};
use receiver::{Act, Receiver};
use reqwest::Method;
use serde_json::json;
use std::time::{Duration, Instant};

/// nats-server client ports 18760–18762 (routes 18765–18767).
const NATS_BASE: u16 = 18760;
/// Cairn's HTTP ports, then its metrics ports; the receiver's port.
const HTTP: [u16; 3] = [18770, 18771, 18772];
const METRICS: [u16; 3] = [18773, 18774, 18775];
const HOOK_PORT: u16 = 18776;
const LEASE_MS: u64 = 2000;
const HOOK_SECRET: &str = "cluster-hook-secret-0123456789";
const STORE: &str = "00000000-0000-0000-0000-000000000001";

/// The dead letters `node` lists: (id, seqs).
fn listed(port: u16, token: &str, fid: &str) -> Vec<(String, Vec<u64>)> {
    let path = format!("/stores/{STORE}/forwarders/{fid}/dead-letters");
    let (s, v) = admin(port, token, Method::GET, &path, None);
    assert_eq!(s, 200, "{v}");
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let seqs = d["seqs"].as_array().unwrap();
            let seqs = seqs.iter().map(|s| s.as_u64().unwrap()).collect();
            (d["id"].as_str().unwrap().to_owned(), seqs)
        })
        .collect()
}

/// The forwarder's dead-letter count in `port`'s status.
fn counted(port: u16, token: &str, fid: &str) -> u64 {
    let path = format!("/stores/{STORE}/forwarders/{fid}");
    let (s, v) = admin(port, token, Method::GET, &path, None);
    assert_eq!(s, 200, "{v}");
    v["status"]["dead_letters"].as_u64().unwrap()
}

/// Waits until every node of `live` lists exactly `n` dead letters, the same ones with the same
/// count in its status; answers them.
fn everywhere(live: &[usize], token: &str, fid: &str, n: usize) -> Vec<(String, Vec<u64>)> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let seen: Vec<_> = live.iter().map(|i| listed(HTTP[*i], token, fid)).collect();
        let counts: Vec<u64> = live.iter().map(|i| counted(HTTP[*i], token, fid)).collect();
        if seen.iter().all(|s| *s == seen[0] && s.len() == n)
            && counts.iter().all(|c| *c == n as u64)
        {
            return seen[0].clone();
        }
        assert!(
            Instant::now() < deadline,
            "nodes {live:?} do not all list {n} dead letters: {seen:?}, counts {counts:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn dead_letters_are_listed_retried_and_discarded_through_any_node() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let hook = Receiver::default();
    hook.set_default(Act::Status(422, "not for us"));
    rt.block_on(hook.clone().serve_on(HOOK_PORT));
    let root = tempfile::tempdir().unwrap();
    let nats = NatsCluster::start(NATS_BASE);
    let spawn = |i: usize, db: &str| {
        let env = [
            ("CAIRN_FORWARDING_LEASE_MS", LEASE_MS.to_string()),
            ("CAIRN_FORWARD_ALLOW_PRIVATE_TARGETS", "true".to_owned()),
            ("CAIRN_METRICS_ADDR", format!("127.0.0.1:{}", METRICS[i])),
        ];
        Node::spawn_with(root.path(), &format!("n{i}"), HTTP[i], &nats, db, &env)
    };
    let dbs: Vec<String> = (0..3)
        .map(|_| format!("cairn_cdead_{}", uuid::Uuid::new_v4().simple()))
        .collect();
    let mut nodes: Vec<Node> = (0..3).map(|i| spawn(i, &dbs[i])).collect();
    // Each start replaces the set-up link: the last node's is the one that works.
    let token = admin_token(&nodes[2], &root.path().join("n2.out"));
    let (s, f) = admin(
        HTTP[2],
        &token,
        Method::POST,
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

    // 15 statements in one request: two batches (10 and 5), both refused for good.
    let (ids, body) = batch(15);
    let res = reqwest::blocking::Client::new()
        .post(format!("http://127.0.0.1:{}/xapi/statements", HTTP[0]))
        .basic_auth(KEY, Some(SECRET))
        .header("X-Experience-API-Version", "1.0.3")
        .json(&body)
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    let dead = everywhere(&[0, 1, 2], &token, &fid, 2);
    assert_eq!(dead[0].1.len() + dead[1].1.len(), 15, "{dead:?}");
    assert!(hook.delivered().is_empty());

    // The node that recorded them is killed: the others still list them.
    hook.set_default(Act::Status(200, "ok"));
    nodes[first].kill();
    let live: Vec<usize> = (0..3).filter(|i| *i != first).collect();
    assert_eq!(everywhere(&live, &token, &fid, 2), dead);
    let (a, b) = (live[0], live[1]);
    let letter =
        |d: &(String, Vec<u64>)| format!("/stores/{STORE}/forwarders/{fid}/dead-letters/{}", d.0);

    // A retry through one survivor delivers the batch and removes it everywhere.
    let (s, v) = admin(
        HTTP[a],
        &token,
        Method::POST,
        &format!("{}/retry", letter(&dead[0])),
        None,
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["delivered"], true, "{v}");
    let got = hook.delivered();
    assert_eq!(got.len(), dead[0].1.len(), "the retried batch: {got:?}");
    assert!(got.iter().all(|id| ids.contains(id)));
    assert_eq!(everywhere(&live, &token, &fid, 1), vec![dead[1].clone()]);

    // A discard through the other removes the second everywhere; twice is 404.
    let (s, v) = admin(HTTP[b], &token, Method::DELETE, &letter(&dead[1]), None);
    assert_eq!(s, 204, "{v}");
    everywhere(&live, &token, &fid, 0);
    for i in &live {
        let (s, _) = admin(HTTP[*i], &token, Method::DELETE, &letter(&dead[1]), None);
        assert_eq!(s, 404, "a second discard through node {i}");
        let retry = format!("{}/retry", letter(&dead[1]));
        let (s, _) = admin(HTTP[*i], &token, Method::POST, &retry, None);
        assert_eq!(
            s, 404,
            "a retry of a discarded dead letter through node {i}"
        );
    }
    // Only the retried batch reached the receiver; the new holder sent nothing again.
    let next = holder(&METRICS, &live, Duration::from_millis(3 * LEASE_MS));
    std::thread::sleep(Duration::from_millis(LEASE_MS));
    assert_eq!(hook.delivered(), got, "node {next} forwards");

    // A node upgraded from a version that kept dead letters in its own keyspace moves them into
    // the cluster's bucket when it starts: every node lists it.
    nodes[b].terminate();
    let legacy = DeadLetter {
        id: uuid::Uuid::now_v7(),
        forwarder: fid.parse().unwrap(),
        seqs: dead[1].1.clone(),
        attempts: 3,
        status: Some(422),
        error: "kept by an older version".into(),
        created_us: 1_700_000_000_000_000,
        last_attempt_us: 1_700_000_000_000_000,
    };
    {
        let store = FjallStore::open(&root.path().join(format!("n{b}")).join("store"), 8 << 20);
        let store = store.unwrap();
        let row = Some(cairn_core::codec::encode(&legacy));
        let key = dead_key(legacy.forwarder, legacy.id);
        store.forwarding_write(&[(key, row)]).unwrap();
    }
    nodes[b] = spawn(b, &dbs[b]);
    let moved = everywhere(&live, &token, &fid, 1);
    assert_eq!(moved[0], (legacy.id.to_string(), legacy.seqs.clone()));
    let (s, v) = admin(HTTP[a], &token, Method::DELETE, &letter(&moved[0]), None);
    assert_eq!(s, 204, "{v}");
    everywhere(&live, &token, &fid, 0);
}
