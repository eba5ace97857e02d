//! Online backup under ingest, an incremental generation, a restore into a fresh data directory
//! and a fresh ClickHouse database: the restored server serves the same statements (by id and
//! content) and documents, and ClickHouse is rebuilt from the log. Real `cairn` processes.
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const KEY: &str = "backup";
const SECRET: &str = "backup-secret-backup-secret";
const ACTIVITY: &str = "http://example.com/act/backup";
const AGENT: &str = r#"{"mbox":"mailto:backup@example.com"}"#;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn spawn(data: &Path, port: u16, db: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_cairn"))
        .arg("serve")
        .env("CAIRN_HTTP_ADDR", format!("127.0.0.1:{port}"))
        .env("CAIRN_DATA_DIR", data)
        .env("CAIRN_CLICKHOUSE_URL", cairn_testkit::server_url())
        .env("CAIRN_CLICKHOUSE_DATABASE", db)
        .env("CAIRN_DEFAULT_CLIENT_KEY", KEY)
        .env("CAIRN_DEFAULT_CLIENT_SECRET", SECRET)
        .env("CAIRN_LOG", "warn")
        .env("CAIRN_METRICS_ADDR", "off")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(data.with_extension("log")).unwrap())
        .spawn()
        .expect("spawn cairn")
}

/// `cairn <args> --data-dir <data>`.
fn cairn(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env("CAIRN_LOG", "warn")
        .output()
        .expect("run cairn")
}

fn ok(out: Output) -> String {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

fn wait_healthy(port: u16, data: &Path) {
    let started = Instant::now();
    let http = reqwest::blocking::Client::new();
    while started.elapsed() < Duration::from_secs(60) {
        let res = http.get(format!("http://127.0.0.1:{port}/health")).send();
        if res.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = std::fs::read_to_string(data.with_extension("log")).unwrap_or_default();
    panic!("cairn did not become healthy:\n{log}");
}

fn xapi(
    http: &reqwest::blocking::Client,
    method: reqwest::Method,
    url: String,
) -> reqwest::blocking::RequestBuilder {
    http.request(method, url)
        .basic_auth(KEY, Some(SECRET))
        .header("X-Experience-API-Version", "1.0.3")
}

fn state_url(port: u16, id: &str) -> String {
    let q: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("activityId", ACTIVITY)
        .append_pair("agent", AGENT)
        .append_pair("stateId", id)
        .finish();
    format!("http://127.0.0.1:{port}/xapi/activities/state?{q}")
}

fn put_state(port: u16, id: &str, body: &str) {
    let http = reqwest::blocking::Client::new();
    let r = xapi(&http, reqwest::Method::PUT, state_url(port, id))
        .header("Content-Type", "application/json")
        .body(body.to_owned())
        .send()
        .unwrap();
    assert_eq!(r.status(), 204, "{:?}", r.text());
}

fn get_state(port: u16, id: &str) -> String {
    let http = reqwest::blocking::Client::new();
    let r = xapi(&http, reqwest::Method::GET, state_url(port, id))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    r.text().unwrap()
}

/// Every statement the server serves, by id.
fn statements(port: u16) -> BTreeMap<String, serde_json::Value> {
    let http = reqwest::blocking::Client::new();
    let mut out = BTreeMap::new();
    let mut next = "/xapi/statements?limit=500".to_owned();
    loop {
        let page: serde_json::Value = xapi(
            &http,
            reqwest::Method::GET,
            format!("http://127.0.0.1:{port}{next}"),
        )
        .send()
        .unwrap()
        .json()
        .unwrap();
        for s in page["statements"].as_array().unwrap() {
            let id = s["id"].as_str().unwrap().to_owned();
            assert!(out.insert(id, s.clone()).is_none(), "served twice");
        }
        next = page["more"].as_str().unwrap().to_owned();
        if next.is_empty() {
            return out;
        }
    }
}

fn batch(n: usize) -> (Vec<String>, serde_json::Value) {
    let ids: Vec<String> = (0..n).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let body = ids
        .iter()
        .map(|id| {
            serde_json::json!({
                "id": id,
                "actor": {"mbox": "mailto:backup@example.com"},
                "verb": {"id": "http://example.com/verbs/backed-up"},
                "object": {"id": format!("http://example.com/act/{id}")},
                "result": {"score": {"raw": id.len()}},
            })
        })
        .collect();
    (ids, serde_json::Value::Array(body))
}

fn clickhouse_count(db: &str) -> u64 {
    let q = format!("SELECT count() FROM {db}.statements");
    let r = reqwest::blocking::Client::new()
        .post(cairn_testkit::server_url())
        .body(q)
        .send()
        .unwrap();
    r.text().unwrap().trim().parse().unwrap_or(0)
}

#[test]
fn backup_under_ingest_then_restore_serves_the_same_statements() {
    let tmp = tempfile::tempdir().unwrap();
    let (source, backup) = (tmp.path().join("source"), tmp.path().join("backup"));
    let db = format!("cairn_backup_{}", uuid::Uuid::new_v4().simple());
    let port = free_port();
    let mut server = spawn(&source, port, &db);
    wait_healthy(port, &source);
    put_state(port, "before", r#"{"at":"before"}"#);

    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..3)
        .map(|_| {
            let (acked, stop) = (acked.clone(), stop.clone());
            std::thread::spawn(move || {
                let http = reqwest::blocking::Client::new();
                while !stop.load(Ordering::Relaxed) {
                    let (ids, body) = batch(20);
                    let url = format!("http://127.0.0.1:{port}/xapi/statements");
                    let r = xapi(&http, reqwest::Method::POST, url)
                        .json(&body)
                        .send()
                        .unwrap();
                    assert_eq!(r.status(), 200);
                    acked.lock().unwrap().extend(ids);
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    let before_first: HashSet<String> = acked.lock().unwrap().iter().cloned().collect();
    // Generation 1, full, while the writers keep posting.
    let out = ok(cairn(&source, &["backup", backup.to_str().unwrap()]));
    assert!(out.contains("generation 1 (full)"), "{out}");
    std::thread::sleep(Duration::from_millis(1000));
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    let all_acked: HashSet<String> = acked.lock().unwrap().iter().cloned().collect();
    put_state(port, "before", r#"{"at":"changed"}"#);
    put_state(port, "after", r#"{"at":"after"}"#);
    // Generation 2 holds only what came after generation 1.
    let out = ok(cairn(&source, &["backup", backup.to_str().unwrap()]));
    assert!(out.contains("generation 2 (incremental)"), "{out}");
    let want = statements(port);
    assert_eq!(
        want.keys().cloned().collect::<HashSet<_>>(),
        all_acked,
        "the source serves what it acknowledged"
    );
    assert!(all_acked.len() > before_first.len() && !before_first.is_empty());
    // The source is stopped: the restore does not depend on it.
    server.kill().unwrap();
    server.wait().unwrap();

    // A non-empty data directory is refused.
    let refused = cairn(&source, &["restore", backup.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("is not empty"),
        "{refused:?}"
    );

    // The newest generation into a fresh data directory and a fresh ClickHouse database.
    let restored = tmp.path().join("restored");
    let out = ok(cairn(&restored, &["restore", backup.to_str().unwrap()]));
    assert!(out.contains("restored generation 2"), "{out}");
    let db2 = format!("{db}_restored");
    let port = free_port();
    let mut server = spawn(&restored, port, &db2);
    wait_healthy(port, &restored);
    assert_eq!(statements(port), want, "same statements, same content");
    assert_eq!(get_state(port, "before"), r#"{"at":"changed"}"#);
    assert_eq!(get_state(port, "after"), r#"{"at":"after"}"#);
    // ClickHouse is rebuilt from the restored log.
    let started = Instant::now();
    while clickhouse_count(&db2) < want.len() as u64 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "ClickHouse rebuilt: {} of {}",
            clickhouse_count(&db2),
            want.len()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(clickhouse_count(&db2), want.len() as u64);
    server.kill().unwrap();
    server.wait().unwrap();

    // Generation 1 holds everything acknowledged before it began, and nothing unacknowledged.
    let first = tmp.path().join("first");
    ok(cairn(
        &first,
        &["restore", backup.to_str().unwrap(), "--generation", "1"],
    ));
    let port = free_port();
    let mut server = spawn(&first, port, &format!("{db}_first"));
    wait_healthy(port, &first);
    let at_first: HashSet<String> = statements(port).into_keys().collect();
    assert!(before_first.is_subset(&at_first));
    assert!(at_first.is_subset(&all_acked));
    assert_eq!(get_state(port, "before"), r#"{"at":"before"}"#);
    server.kill().unwrap();
    server.wait().unwrap();
}
