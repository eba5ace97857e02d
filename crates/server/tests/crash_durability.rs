//! `kill -9` at an arbitrary moment: every statement acknowledged before the kill is there after
//! a restart, and nothing half-written is served. A real `cairn` process, a real SIGKILL.
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const KEY: &str = "crash";
const SECRET: &str = "crash-secret-crash-secret";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn spawn(data: &std::path::Path, port: u16, db: &str) -> Child {
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

fn wait_healthy(port: u16, data: &std::path::Path) {
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

fn batch(n: usize) -> (Vec<String>, serde_json::Value) {
    let ids: Vec<String> = (0..n).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let body = ids
        .iter()
        .map(|id| {
            serde_json::json!({
                "id": id,
                "actor": {"mbox": "mailto:crash@example.com"},
                "verb": {"id": "http://example.com/verbs/crashed"},
                "object": {"id": format!("http://example.com/act/{id}")},
            })
        })
        .collect();
    (ids, serde_json::Value::Array(body))
}

#[test]
fn acknowledged_statements_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("cairn_crash_{}", uuid::Uuid::new_v4().simple());
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    for round in 0..3 {
        let port = free_port();
        let mut child = spawn(dir.path(), port, &db);
        wait_healthy(port, dir.path());
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let (acked, stop) = (acked.clone(), stop.clone());
                std::thread::spawn(move || {
                    let http = reqwest::blocking::Client::new();
                    while !stop.load(Ordering::Relaxed) {
                        let (ids, body) = batch(if w % 2 == 0 { 1 } else { 25 });
                        let res = http
                            .post(format!("http://127.0.0.1:{port}/xapi/statements"))
                            .basic_auth(KEY, Some(SECRET))
                            .header("X-Experience-API-Version", "1.0.3")
                            .json(&body)
                            .send();
                        match res {
                            Ok(r) if r.status() == 200 => acked.lock().unwrap().extend(ids),
                            _ => break,
                        }
                    }
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(700 + 300 * round));
        // SIGKILL while the writers are mid-flight.
        child.kill().unwrap();
        child.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        for w in writers {
            w.join().unwrap();
        }
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 100,
        "the load reached the server ({} acknowledged)",
        acked.len()
    );
    let port = free_port();
    let mut child = spawn(dir.path(), port, &db);
    wait_healthy(port, dir.path());
    let http = reqwest::blocking::Client::new();
    for id in &acked {
        let r = http
            .get(format!(
                "http://127.0.0.1:{port}/xapi/statements?statementId={id}"
            ))
            .basic_auth(KEY, Some(SECRET))
            .header("X-Experience-API-Version", "1.0.3")
            .send()
            .unwrap();
        assert_eq!(r.status(), 200, "acknowledged statement {id} lost");
        let st: serde_json::Value = r.json().expect("a whole statement");
        assert_eq!(st["id"], id.as_str());
    }
    // Every statement the node serves is whole, and each acknowledged one is served exactly once.
    let mut served = Vec::new();
    let mut next = "/xapi/statements?limit=500".to_owned();
    loop {
        let page: serde_json::Value = http
            .get(format!("http://127.0.0.1:{port}{next}"))
            .basic_auth(KEY, Some(SECRET))
            .header("X-Experience-API-Version", "1.0.3")
            .send()
            .unwrap()
            .json()
            .unwrap();
        for s in page["statements"].as_array().unwrap() {
            assert_eq!(s["verb"]["id"], "http://example.com/verbs/crashed");
            served.push(s["id"].as_str().unwrap().to_owned());
        }
        next = page["more"].as_str().unwrap().to_owned();
        if next.is_empty() {
            break;
        }
    }
    let unique: std::collections::HashSet<_> = served.iter().collect();
    assert_eq!(unique.len(), served.len(), "no statement served twice");
    assert!(acked.iter().all(|id| unique.contains(id)));
    child.kill().unwrap();
    child.wait().unwrap();
}
