//! Store retention in cluster mode: three real `nats-server` processes as one JetStream cluster
//! and three real `cairn` processes, each with its own ClickHouse database and its own
//! `archive_dir`. Statements of three past months are restored into a store through one node
//! (they keep their old `stored`), new statements are posted through every node, and the
//! store's retention is set to one month. Then exactly one node (the holder of the forwarding
//! lease) runs the job: only its `archive_dir` holds archives, exactly of the old statements,
//! and only its log says it archived; no node serves an old statement (404 by id, absent from
//! full and filtered lists), every node serves every new one, each node's ClickHouse
//! database holds exactly the new ones, and no message of the replicated log (read raw) holds
//! an old statement. Then the deciding node is killed with SIGKILL once its
//! next run has begun removing a month (its purge is in the log): every node finishes that
//! removal, the next holder of the lease archives the remaining month into its own directory
//! (no month archived twice, none lost), and the killed node, started again, agrees.
mod cluster;
mod common;

use cairn_core::StoreId;
use cairn_server::archive::files;
use cluster::nats::NatsCluster;
use cluster::node::{Node, clickhouse};
use cluster::provision::{Client, list, provision, wait_lists, xapi};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// nats-server client ports 18820–18822 (routes 18825–18827).
const NATS_BASE: u16 = 18820;
const NODE_PORTS: [u16; 3] = [18830, 18831, 18832];
const ADMIN: &str = "admin@example.com";
const PASSWORD: &str = "retention-cluster-password";
/// Months restored before the retention is set (all past a one-month retention).
const OLD: [&str; 3] = ["2025-01", "2025-02", "2025-03"];
/// Months restored later, archived by the run whose node is killed.
const LATER: [&str; 2] = ["2025-05", "2025-06"];
/// What the deciding node logs for each month it archived and removed.
const ARCHIVED: &str = "month archived and removed";
/// What a node logs as it starts a purge's removal (after its Begun message is in the log).
const WAITING: &str = "stage=Waiting";

fn archive_dir(root: &Path, i: usize) -> PathBuf {
    root.join(format!("archive-n{i}"))
}

/// Node `i`, with its own archive directory, the retention job every minute, and the job's
/// messages in its log.
fn spawn(root: &Path, nats: &NatsCluster, run: &str, i: usize) -> Node {
    let env = [
        (
            "CAIRN_ARCHIVE_DIR",
            archive_dir(root, i).display().to_string(),
        ),
        ("CAIRN_RETENTION_INTERVAL_MINUTES", "1".to_owned()),
        (
            "CAIRN_LOG",
            "warn,cairn_server::archive=info,cairn_core::purge=info".to_owned(),
        ),
    ];
    let db = format!("cairn_retention_{run}_n{i}");
    Node::spawn_with(root, &format!("n{i}"), NODE_PORTS[i], nats, &db, &env)
}

/// `n` new statements (stored now).
fn statements(n: usize) -> (Vec<String>, Vec<Value>) {
    let ids: Vec<String> = (0..n).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let body = ids
        .iter()
        .map(|id| {
            json!({
                "id": id,
                "actor": {"objectType": "Agent", "mbox": "mailto:new@example.com"},
                "verb": {"id": "http://example.com/verbs/answered"},
                "object": {"id": format!("http://example.com/act/{id}")},
            })
        })
        .collect();
    (ids, body)
}

/// Waits until `node` answers 404 for each of `gone` by id, and lists none of them for a
/// filter that matches every one of them (their verbs).
fn assert_gone(http: &reqwest::blocking::Client, node: &Node, c: &Client, gone: &[String]) {
    let deadline = Instant::now() + Duration::from_secs(90);
    for id in gone {
        loop {
            let (status, _) = xapi(
                http,
                node.port,
                c,
                &format!("/xapi/statements?statementId={id}"),
            );
            if status == 404 {
                break;
            }
            assert!(Instant::now() < deadline, "{id} on {}: {status}", node.port);
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    for verb in ["v0", "v1"] {
        let q = format!("&verb=http%3A%2F%2Fexample.com%2Fverbs%2F{verb}");
        let listed = list(http, node.port, c, &q);
        assert!(
            listed.is_empty(),
            "{} lists {listed:?} for {verb}",
            node.port
        );
    }
}

/// Statements of `ids` in `db.statements`: (rows, distinct ids).
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

/// Waits until `db` holds no row of `gone`, and each of `kept` once, and no other row.
fn wait_clickhouse(db: &str, gone: &[String], kept: &[String]) {
    let deadline = Instant::now() + Duration::from_secs(90);
    let want = kept.len() as u64;
    loop {
        let all = clickhouse(&format!("SELECT count() FROM {db}.statements FORMAT TSV"));
        let (g, k) = (rows_of(db, gone), rows_of(db, kept));
        if g.0 == 0 && k == (want, want) && all.trim() == want.to_string() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{db}: {g:?} old rows, {k:?} of {want} new, {} in all",
            all.trim()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The statement ids in the archives of `months` of `store` in `dir` (absent months: none).
fn archived(dir: &Path, store: StoreId, months: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for m in months {
        let month = m.parse().unwrap();
        if let Some(manifest) = files::manifest(dir, store, month).unwrap() {
            let a = files::read(dir, store, month).unwrap();
            assert_eq!(manifest.count as usize, a.statements.len(), "{m}");
            for line in a.statements {
                let st: Value = serde_json::from_slice(&line).unwrap();
                assert!(st["stored"].as_str().unwrap().starts_with(m), "{st}");
                out.push(st["id"].as_str().unwrap().to_owned());
            }
        }
    }
    out.sort();
    out
}

/// Sets the store's retention through the node at `port`.
fn set_retention(http: &reqwest::blocking::Client, port: u16, store: &str, months: u32) {
    let base = format!("http://127.0.0.1:{port}");
    let res = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": ADMIN, "password": PASSWORD}))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200, "login on {port}");
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let res = http
        .patch(format!("{base}/api/v1/stores/{store}"))
        .header("cookie", cookie)
        .header("origin", &base)
        .json(&json!({"retention_months": months}))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200, "retention: {}", res.text().unwrap());
}

/// Restores `months` of `n` statements each into `store` through the node of data directory
/// `data` (a blocking wrapper of the async helper).
fn seed(data: &Path, archives: &Path, store: StoreId, months: &[&str], n: usize) -> Vec<String> {
    let cfg = common::test_config(data);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut ids = rt.block_on(common::archives::seed_through(
        &cfg, archives, store, months, n, "zqold",
    ));
    ids.sort();
    ids
}

/// The sequences of the log's streams (the default `jetstream_stream` and its stream of
/// redacted copies), read raw, whose message holds `needle`.
fn holding(nats: &NatsCluster, needle: &[u8]) -> Vec<String> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = async_nats::connect(nats.urls()[0].as_str()).await.unwrap();
        let js = async_nats::jetstream::new(client);
        let mut out = Vec::new();
        for name in ["CAIRN_LOG", "CAIRN_LOG_REWRITTEN"] {
            let mut s = js.get_stream(name).await.unwrap();
            let last = s.info().await.unwrap().state.last_sequence;
            for seq in 1..=last {
                let Ok(m) = s.get_raw_message(seq).await else {
                    continue; // erased
                };
                if m.payload.windows(needle.len()).any(|w| w == needle) {
                    out.push(format!("{name} {seq}"));
                }
            }
        }
        out
    })
}

/// How many times each node's log says `what`.
fn said(nodes: &[Node], what: &str) -> Vec<usize> {
    nodes
        .iter()
        .map(|n| n.log().matches(what).count())
        .collect()
}

#[test]
fn retention_runs_on_exactly_one_node_of_a_cluster() {
    let root = tempfile::tempdir().unwrap();
    let nats = NatsCluster::start(NATS_BASE);
    let c = provision(root.path(), &nats, ADMIN, PASSWORD, "retention");
    let store = StoreId(c.store.parse().unwrap());
    let run = uuid::Uuid::new_v4().simple().to_string();
    let mut nodes: Vec<Node> = (0..3).map(|i| spawn(root.path(), &nats, &run, i)).collect();
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();

    // Old months restored through node 1; new statements through every node.
    let seeds = tempfile::tempdir().unwrap();
    let old = seed(&root.path().join("n1"), seeds.path(), store, &OLD, 4);
    let mut new = Vec::new();
    for node in &nodes {
        let (ids, body) = statements(3);
        let res = http
            .post(format!("http://127.0.0.1:{}/xapi/statements", node.port))
            .basic_auth(&c.key, Some(&c.secret))
            .header("X-Experience-API-Version", "1.0.3")
            .json(&body)
            .send()
            .unwrap();
        assert_eq!(res.status(), 200);
        new.extend(ids);
    }
    let everything: HashSet<String> = old.iter().chain(&new).cloned().collect();
    for node in &nodes {
        wait_lists(&http, node, &c, &everything);
    }
    // Every node reads the restored statements by their old `stored` times, not only node 1.
    let restored: HashSet<String> = old.iter().cloned().collect();
    for node in &nodes {
        let until = list(&http, node.port, &c, "&until=2025-04-01T00:00:00Z");
        let until: HashSet<String> = until.into_iter().collect();
        assert_eq!(
            until, restored,
            "until the restored months' end on {}",
            node.port
        );
    }
    assert_eq!(
        said(&nodes, ARCHIVED),
        vec![0, 0, 0],
        "archived before any retention"
    );

    // A retention of one month, set through node 2: the next run archives the old months.
    set_retention(&http, NODE_PORTS[2], &c.store, 1);
    let kept: HashSet<String> = new.iter().cloned().collect();
    for node in &nodes {
        wait_lists(&http, node, &c, &kept);
        assert_gone(&http, node, &c, &old);
    }
    for node in &nodes {
        wait_clickhouse(&node.db, &old, &new);
    }
    // Exactly one node decided: its archive directory alone holds the old statements, and its
    // log alone says it archived each month.
    let deciders: Vec<usize> = (0..3)
        .filter(|&i| !archived(&archive_dir(root.path(), i), store, &OLD).is_empty())
        .collect();
    assert_eq!(
        deciders.len(),
        1,
        "archives in the directories of {deciders:?}"
    );
    let d = deciders[0];
    assert_eq!(archived(&archive_dir(root.path(), d), store, &OLD), old);
    let mut counts = vec![0; 3];
    counts[d] = OLD.len();
    // (It logs a month once its own removal is finished, which may be after the others'.)
    let deadline = Instant::now() + Duration::from_secs(30);
    while said(&nodes, ARCHIVED) != counts && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(said(&nodes, ARCHIVED), counts, "who archived");
    eprintln!("node {d} decided the retention run");

    // Later months restored through a node that is not deciding; the deciding node is killed
    // with SIGKILL once it has begun removing the first of them (its purge is in the log, its
    // archive written, its own store not yet purged). Every node finishes that removal, and the
    // next holder of the lease archives and removes the second month into its own directory.
    let other = (d + 1) % 3;
    let begun = nodes[d].log().matches(WAITING).count();
    let data = root.path().join(format!("n{other}"));
    let first = seed(&data, seeds.path(), store, &LATER[..1], 30);
    let second = seed(&data, seeds.path(), store, &LATER[1..], 30);
    let started = Instant::now();
    while nodes[d].log().matches(WAITING).count() == begun {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no removal on node {d}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    nodes[d].kill();
    let later: Vec<String> = first.iter().chain(&second).cloned().collect();
    let survivors: Vec<usize> = (0..3).filter(|&i| i != d).collect();
    for &i in &survivors {
        wait_lists(&http, &nodes[i], &c, &kept);
        assert_gone(&http, &nodes[i], &c, &later);
        wait_clickhouse(&nodes[i].db, &later, &new);
    }
    // The first month's archive is the killed node's, the second's the next holder's: no month
    // archived twice, none lost.
    assert_eq!(archived(&archive_dir(root.path(), d), store, &LATER), first);
    let next: Vec<usize> = survivors
        .iter()
        .copied()
        .filter(|&i| !archived(&archive_dir(root.path(), i), store, &LATER).is_empty())
        .collect();
    assert_eq!(next.len(), 1, "the second month archived by {next:?}");
    assert_eq!(
        archived(&archive_dir(root.path(), next[0]), store, &LATER),
        second
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while said(&nodes, ARCHIVED)[next[0]] != 1 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(said(&nodes, ARCHIVED)[next[0]], 1, "the next holder's log");
    eprintln!(
        "node {d} killed once its removal had begun; node {} took over",
        next[0]
    );
    // The replicated log no longer holds any archived statement (their responses hold
    // `zqold`), read raw.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let held = holding(&nats, b"zqold");
        if held.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "messages holding old statements: {held:?}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    // The killed node, started again, finishes the removal on its own store and agrees.
    nodes[d] = spawn(root.path(), &nats, &run, d);
    wait_lists(&http, &nodes[d], &c, &kept);
    assert_gone(&http, &nodes[d], &c, &later);
    assert_gone(&http, &nodes[d], &c, &old);
    wait_clickhouse(&nodes[d].db, &later, &new);
}
