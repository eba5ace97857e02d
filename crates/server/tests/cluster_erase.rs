//! Erasure in cluster mode: three real `nats-server` processes as one JetStream cluster and
//! three real `cairn` processes, each with its own ClickHouse database. Statements of two
//! learners are posted through every node; learner A is erased through one node. Then no node
//! serves any of A's statements and every node serves all of B's, each node's ClickHouse
//! database holds no row of A and every row of B exactly once, no message of the cluster's log
//! (read raw, every sequence of its stream and of the stream of redacted copies) holds A's
//! identifier, nor does any file of the nats-servers' streams (their replication journal
//! excepted, see docs/operations.md), and a fourth node started empty replays the log and serves exactly B's. A node
//! that was down for the whole erasure (killed before it) erases A's statements and documents
//! when it comes back, from the rewritten log. Then a
//! third learner is erased through another node, which is killed with SIGKILL before it has
//! rewritten the log: the other nodes finish the erasure and the rewrite and, the deciding node
//! still down, record the erasure's end after `purge_finish_takeover_ms` (its Finished event,
//! exactly once: every node's status of it reads `finished`); the killed node finishes it on its
//! own store when it comes back, and finds the end recorded (still exactly one event).
mod cluster;
mod common;

use cluster::erasure::{Admin, assert_erased, post, statements};
use cluster::nats::NatsCluster;
use cluster::node::{Node, clickhouse};
use cluster::provision::{Client, provision, wait_lists};
use serde_json::json;
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// nats-server client ports 18800–18802 (routes 18805–18807).
const NATS_BASE: u16 = 18800;
/// The Cairn nodes' HTTP ports (the fourth joins after the erasure).
const NODE_PORTS: [u16; 3] = [18810, 18811, 18812];
const LATE_PORT: u16 = 18813;
/// The log's stream (the default `jetstream_stream`) and its stream of redacted copies.
const STREAMS: [&str; 2] = ["CAIRN_LOG", "CAIRN_LOG_REWRITTEN"];
/// Bytes of A's identifier.
const ALICE_BYTES: &[u8] = b"zqerased";
/// The third learner, erased through a node killed during the erasure.
const CAROL: &str = "mailto:zqkilled.carol@example.com";
const CAROL_BYTES: &[u8] = b"zqkilled";
const ADMIN: &str = "admin@example.com";
const PASSWORD: &str = "erase-cluster-password";
/// Learner A's identifier: erased. Nothing else contains these bytes.
const ALICE: &str = "mailto:zqerased.alice@example.com";
const BOB: &str = "mailto:bob@example.com";
/// `purge_finish_takeover_ms` of every node (short, so the test does not wait the default).
const TAKEOVER_MS: u64 = 3000;

/// Starts a node with the test's takeover delay.
fn spawn(root: &std::path::Path, name: &str, port: u16, nats: &NatsCluster, db: &str) -> Node {
    let env = [("CAIRN_PURGE_FINISH_TAKEOVER_MS", TAKEOVER_MS.to_string())];
    Node::spawn_with(root, name, port, nats, db, &env)
}

/// Rows of `db.statements` whose statement id is one of `ids`: (rows, distinct ids).
fn rows_of(db: &str, ids: &[String]) -> (u64, u64) {
    let list: Vec<String> = ids.iter().map(|i| format!("'{i}'")).collect();
    let text = clickhouse(&format!(
        "SELECT count(), uniqExact(statement_id) FROM {db}.statements \
         WHERE toString(statement_id) IN ({}) FORMAT TSV",
        list.join(",")
    ));
    let mut it = text.split_whitespace().map(|n| n.parse().unwrap_or(0));
    (it.next().unwrap_or(0), it.next().unwrap_or(0))
}

/// Waits until `db` holds each of `ids` exactly once.
fn wait_rows_once(db: &str, ids: &[String]) {
    let deadline = Instant::now() + Duration::from_secs(90);
    let want = ids.len() as u64;
    loop {
        let got = rows_of(db, ids);
        if got == (want, want) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{db} holds {got:?} of {want} rows"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The files under `dir` (recursively) whose bytes contain `needle`, except those of
/// JetStream's replication journal (`$SYS/_js_`), which keeps recent writes until it compacts.
fn files_holding(dir: &std::path::Path, needle: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            if !path.ends_with("_js_") {
                found.extend(files_holding(&path, needle));
            }
        } else if let Ok(bytes) = std::fs::read(&path)
            && bytes.windows(needle.len()).any(|w| w == needle)
        {
            found.push(path.display().to_string());
        }
    }
    found
}

/// The Finished events of purge `id` in the cluster's log (both streams, decoded).
fn finished_events(nats: &NatsCluster, id: &str) -> usize {
    use cairn_core::Event;
    use cairn_core::purge::PurgePhase;
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = async_nats::connect(nats.urls()[0].as_str()).await.unwrap();
        let js = async_nats::jetstream::new(client);
        let mut found = 0;
        for name in STREAMS {
            let mut s = js.get_stream(name).await.unwrap();
            let last = s.info().await.unwrap().state.last_sequence;
            for seq in 1..=last {
                let Ok(m) = s.get_raw_message(seq).await else {
                    continue;
                };
                let Ok(ws) = cairn_core::replicated::decode_group(&m.payload) else {
                    continue;
                };
                found += ws
                    .events
                    .iter()
                    .filter(|(_, e)| {
                        matches!(&**e, Event::Purge(p)
                            if p.id.to_string() == id && p.phase == PurgePhase::Finished)
                    })
                    .count();
            }
        }
        found
    })
}

/// Reads every sequence of both streams raw: answers (messages read, messages holding A's
/// bytes, messages in the stream of copies).
fn scan_streams(nats: &NatsCluster, needle: &[u8]) -> (u64, Vec<String>, u64) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = async_nats::connect(nats.urls()[0].as_str()).await.unwrap();
        let js = async_nats::jetstream::new(client);
        let (mut read, mut holding, mut copies) = (0, Vec::new(), 0);
        for name in STREAMS {
            let mut s = js.get_stream(name).await.unwrap();
            let state = s.info().await.unwrap().state.clone();
            if name == STREAMS[1] {
                copies = state.messages;
            }
            for seq in 1..=state.last_sequence {
                let Ok(m) = s.get_raw_message(seq).await else {
                    continue; // erased
                };
                read += 1;
                if m.payload.windows(needle.len()).any(|w| w == needle) {
                    holding.push(format!("{name} {seq}"));
                }
            }
        }
        (read, holding, copies)
    })
}

/// The agent profile `prefs` of `mbox`, as a request on the node at `port`.
fn profile(
    http: &reqwest::blocking::Client,
    port: u16,
    c: &Client,
    mbox: &str,
    method: reqwest::Method,
) -> reqwest::blocking::RequestBuilder {
    let agent = json!({"objectType": "Agent", "mbox": mbox}).to_string();
    http.request(
        method,
        format!("http://127.0.0.1:{port}/xapi/agents/profile"),
    )
    .query(&[("agent", agent.as_str()), ("profileId", "prefs")])
    .basic_auth(&c.key, Some(&c.secret))
    .header("X-Experience-API-Version", "1.0.3")
}

fn put_profile(http: &reqwest::blocking::Client, port: u16, c: &Client, mbox: &str) {
    let res = profile(http, port, c, mbox, reqwest::Method::PUT)
        .header("Content-Type", "text/plain")
        .header("If-None-Match", "*")
        .body(format!("preferences of {mbox}"))
        .send()
        .unwrap();
    assert_eq!(res.status(), 204, "PUT the profile of {mbox}");
}

/// Waits (up to 90 s) until the node at `port` answers `status` for the profile of `mbox`.
fn wait_profile(http: &reqwest::blocking::Client, port: u16, c: &Client, mbox: &str, status: u16) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let got = profile(http, port, c, mbox, reqwest::Method::GET)
            .send()
            .map(|r| r.status().as_u16());
        if got.as_ref().is_ok_and(|s| *s == status) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the profile of {mbox} on {port}: {got:?}, not {status}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_learner_erased_through_one_node_is_gone_from_every_node() {
    let root = tempfile::tempdir().unwrap();
    let nats = NatsCluster::start(NATS_BASE);
    let client = provision(root.path(), &nats, ADMIN, PASSWORD, "erase");
    let run = uuid::Uuid::new_v4().simple().to_string();
    let mut nodes: Vec<Node> = NODE_PORTS
        .iter()
        .enumerate()
        .map(|(i, port)| {
            let db = format!("cairn_erase_{run}_n{i}");
            spawn(root.path(), &format!("n{i}"), *port, &nats, &db)
        })
        .collect();
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();

    // The learners' statements through every node, in several messages each.
    let (mut alice, mut bob, mut carol) = (Vec::new(), Vec::new(), Vec::new());
    for node in &nodes {
        for _ in 0..4 {
            let (a, a_body) = statements(ALICE, 5);
            let (b, b_body) = statements(BOB, 5);
            let (c, c_body) = statements(CAROL, 2);
            let mut body = a_body;
            body.extend(b_body);
            body.extend(c_body);
            post(&http, node.port, &client, &body);
            alice.extend(a);
            bob.extend(b);
            carol.extend(c);
        }
        let (b, b_body) = statements(BOB, 3);
        post(&http, node.port, &client, &b_body);
        bob.extend(b);
    }
    let everything: HashSet<String> = alice.iter().chain(&bob).chain(&carol).cloned().collect();
    for node in &nodes {
        wait_lists(&http, node, &client, &everything);
    }

    // Each learner's agent profile, written through node 0. Node 2 has them, then is killed:
    // it is down for the whole erasure of A and the log's rewrite.
    for mbox in [ALICE, BOB] {
        put_profile(&http, nodes[0].port, &client, mbox);
    }
    wait_profile(&http, nodes[2].port, &client, ALICE, 200);
    nodes[2].kill();
    let before = files_holding(&nats.dir(), ALICE_BYTES);
    assert!(
        !before.is_empty(),
        "the streams' files hold A before the erasure"
    );

    let admin = Admin::on(&http, nodes[1].port, ADMIN, PASSWORD);
    let started = Instant::now();
    let id = admin.start_erasure(&http, &client, ALICE);
    admin.wait_state(&http, &id, &["rewriting", "finished"]);
    let rewriting = started.elapsed();
    admin.wait_state(&http, &id, &["finished"]);
    let decided = started.elapsed();

    // (a) No running node serves A's statements; each serves all of B's (and C's, for now).
    let bobs: HashSet<String> = bob.iter().chain(&carol).cloned().collect();
    for node in &nodes[..2] {
        assert_erased(&http, node, &client, &bobs, &alice);
    }
    let everywhere = started.elapsed();
    // Node 2, down for the whole erasure, applies the erasure from the rewritten log when it
    // comes back (its plan no longer names A's documents): A's statements and profile go too.
    let db = nodes[2].db.clone();
    nodes[2] = spawn(root.path(), "n2", NODE_PORTS[2], &nats, &db);
    assert_erased(&http, &nodes[2], &client, &bobs, &alice);
    for node in &nodes {
        wait_profile(&http, node.port, &client, ALICE, 404);
        wait_profile(&http, node.port, &client, BOB, 200);
    }
    // (b) No message of the log holds A's identifier, read raw.
    let (read, holding, copies) = scan_streams(&nats, ALICE_BYTES);
    assert!(holding.is_empty(), "messages holding A: {holding:?}");
    assert!(copies > 0, "no message was replaced");
    eprintln!("{read} messages read raw, {copies} of them redacted copies");
    // ... nor any file of the nats-servers' streams: the delete overwrote the originals' bytes.
    let files = files_holding(&nats.dir(), ALICE_BYTES);
    assert!(files.is_empty(), "stream files holding A: {files:?}");
    eprintln!(
        "erasure of {} statements: rewriting the log from {rewriting:?}, finished on the \
         deciding node after {decided:?}, gone from every node after {everywhere:?}",
        alice.len()
    );

    // (d) Each node's ClickHouse: no row of A, every row of B exactly once.
    for node in &nodes {
        let deadline = Instant::now() + Duration::from_secs(90);
        while rows_of(&node.db, &alice).0 != 0 {
            assert!(Instant::now() < deadline, "{} keeps rows of A", node.db);
            std::thread::sleep(Duration::from_millis(200));
        }
        wait_rows_once(&node.db, &bob);
        wait_rows_once(&node.db, &carol);
        let text = clickhouse(&format!(
            "SELECT count() FROM {}.statements WHERE positionCaseInsensitive(actor_ifi, \
             'zqerased') > 0 FORMAT TSV",
            node.db
        ));
        assert_eq!(text.trim(), "0", "{} holds a row naming A", node.db);
    }

    // (c) A node started empty replays the log: exactly B's statements, once in its database.
    let late = spawn(
        root.path(),
        "late",
        LATE_PORT,
        &nats,
        &format!("cairn_erase_{run}_late"),
    );
    wait_lists(&http, &late, &client, &bobs);
    wait_profile(&http, late.port, &client, ALICE, 404);
    wait_profile(&http, late.port, &client, BOB, 200);
    wait_rows_once(&late.db, &bob);
    assert_eq!(rows_of(&late.db, &alice).0, 0, "the late node projected A");
    // The cluster still takes writes on every node, the late one included.
    for node in nodes.iter().chain([&late]) {
        let (b, body) = statements(BOB, 2);
        post(&http, node.port, &client, &body);
        bob.extend(b);
    }
    let with_carol: HashSet<String> = bob.iter().chain(&carol).cloned().collect();
    for node in nodes.iter().chain([&late]) {
        wait_lists(&http, node, &client, &with_carol);
    }

    // C is erased through node 2, killed (SIGKILL) once the erasure has begun and before it has
    // rewritten the log: the others finish the erasure and the rewrite.
    let admin = Admin::on(&http, nodes[2].port, ADMIN, PASSWORD);
    let id = admin.start_erasure(&http, &client, CAROL);
    let state = admin.wait_state(&http, &id, &["compacting", "rewriting", "finished"]);
    nodes[2].kill();
    eprintln!("node 2 killed while its erasure was {state}");
    let bobs: HashSet<String> = bob.iter().cloned().collect();
    for node in [&nodes[0], &nodes[1], &late] {
        wait_lists(&http, node, &client, &bobs);
        let deadline = Instant::now() + Duration::from_secs(90);
        while rows_of(&node.db, &carol).0 != 0 {
            assert!(Instant::now() < deadline, "{} keeps rows of C", node.db);
            std::thread::sleep(Duration::from_millis(200));
        }
        wait_rows_once(&node.db, &bob);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, holding, _) = scan_streams(&nats, CAROL_BYTES);
        if holding.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "messages holding C: {holding:?}\n{}\n{}",
            nodes[0].log(),
            nodes[1].log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // The deciding node stays down: after the takeover delay the others record the erasure's
    // end, once, and every running node's status of it reads finished.
    let down = Instant::now();
    for node in [&nodes[0], &nodes[1], &late] {
        let admin = Admin::on(&http, node.port, ADMIN, PASSWORD);
        admin.wait_state(&http, &id, &["finished"]);
    }
    let recorded = down.elapsed();
    assert_eq!(
        finished_events(&nats, &id),
        1,
        "C's erasure finished once without its deciding node"
    );
    eprintln!(
        "C's erasure recorded as finished {recorded:?} after the other nodes had finished it (node 2 down)"
    );
    // The killed node finishes the erasure on its own store when it comes back.
    let db = nodes[2].db.clone();
    nodes[2] = spawn(root.path(), "n2", NODE_PORTS[2], &nats, &db);
    wait_lists(&http, &nodes[2], &client, &bobs);
    let deadline = Instant::now() + Duration::from_secs(90);
    while rows_of(&db, &carol).0 != 0 {
        assert!(Instant::now() < deadline, "{db} keeps rows of C");
        std::thread::sleep(Duration::from_millis(200));
    }
    wait_rows_once(&db, &bob);
    let (_, holding, _) = scan_streams(&nats, ALICE_BYTES);
    assert!(holding.is_empty(), "messages holding A: {holding:?}");
    // Node 2 decided C's erasure: back, it finds the end recorded and appends nothing (given
    // time to, past the takeover delay); its status of the erasure reads finished.
    Admin::on(&http, nodes[2].port, ADMIN, PASSWORD).wait_state(&http, &id, &["finished"]);
    std::thread::sleep(Duration::from_millis(2 * TAKEOVER_MS));
    assert_eq!(
        finished_events(&nats, &id),
        1,
        "C's erasure finished once:\n{}",
        nodes[2].log()
    );
}
