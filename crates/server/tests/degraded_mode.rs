//! Degraded mode with a real ClickHouse process stopped and started while statements are
//! posted: `serve` starts without ClickHouse (and migrates once it answers), every acknowledged
//! statement is readable during the outage (from the log and the tail) and after it, analytics
//! answer 503 with `Retry-After` meanwhile, and every statement reaches ClickHouse afterwards.
mod common;

use common::{Cred, ROOT_EMAIL, ROOT_PASSWORD, TestServer, test_config};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const VERB: &str = "http://example.com/verbs/outlasted";

/// A private ClickHouse this test stops and starts (never the shared test server).
struct ClickHouse {
    port: u16,
    dir: tempfile::TempDir,
}

impl ClickHouse {
    fn new() -> Self {
        ClickHouse {
            port: cairn_testkit::free_port_pair(),
            dir: tempfile::Builder::new()
                .prefix("cairn-ch-degraded-")
                .tempdir()
                .unwrap(),
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn script(&self, cmd: &str) {
        let script: PathBuf = cairn_testkit::repo_root().join("scripts/clickhouse.sh");
        let out = Command::new(script)
            .args([cmd, "--port", &self.port.to_string(), "--dir"])
            .arg(self.dir.path())
            .output()
            .expect("run scripts/clickhouse.sh");
        assert!(
            out.status.success(),
            "clickhouse.sh {cmd}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn start(&self) {
        self.script("start");
    }

    fn stop(&self) {
        self.script("stop");
    }
}

impl Drop for ClickHouse {
    fn drop(&mut self) {
        let script: PathBuf = cairn_testkit::repo_root().join("scripts/clickhouse.sh");
        let _ = Command::new(script)
            .args(["stop", "--port", &self.port.to_string(), "--dir"])
            .arg(self.dir.path())
            .output();
    }
}

fn statement(n: usize) -> Value {
    json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "actor": {"mbox": format!("mailto:learner{}@example.com", n % 7)},
        "verb": {"id": VERB},
        "object": {"id": format!("http://example.com/act/{}", n % 11)},
    })
}

/// Posts statements one request at a time until `stop` is set; records the acknowledged ids.
fn poster(
    s: &TestServer,
    stop: Arc<Mutex<bool>>,
    acked: Arc<Mutex<Vec<String>>>,
) -> tokio::task::JoinHandle<()> {
    let req = s.req(Method::POST, "/xapi/statements");
    tokio::spawn(async move {
        let mut n = 0;
        while !*stop.lock().unwrap() {
            let st = statement(n);
            let id = st["id"].as_str().unwrap().to_owned();
            let res = req.try_clone().unwrap().json(&st).send().await.unwrap();
            assert_eq!(res.status(), 200, "POST while ClickHouse comes and goes");
            acked.lock().unwrap().push(id);
            n += 1;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
}

async fn post_some(s: &TestServer, n: usize, acked: &Mutex<Vec<String>>) {
    let batch: Vec<Value> = (0..n).map(statement).collect();
    let res = s.post(json!(batch)).await;
    assert_eq!(res.status(), 200);
    acked
        .lock()
        .unwrap()
        .extend(batch.iter().map(|st| st["id"].as_str().unwrap().to_owned()));
}

/// Every statement of the verb, page after page (`more`), checked for duplicates.
async fn read_all(s: &TestServer, query: &str) -> HashSet<String> {
    let mut seen = HashSet::new();
    let mut next = format!("/xapi/statements?{query}");
    loop {
        let page = s.get_json(&next).await;
        for st in page["statements"].as_array().unwrap() {
            let id = st["id"].as_str().unwrap().to_owned();
            assert!(seen.insert(id.clone()), "{id} served twice");
        }
        next = page["more"].as_str().unwrap_or_default().to_owned();
        if next.is_empty() {
            return seen;
        }
    }
}

async fn assert_all_readable(s: &TestServer, acked: &Mutex<Vec<String>>, when: &str) {
    let acked: Vec<String> = acked.lock().unwrap().clone();
    let filter = format!("verb={}", urlencode(VERB));
    for query in [
        filter.clone(),
        format!("{filter}&ascending=true"),
        String::new(),
    ] {
        let seen = read_all(s, &query).await;
        let missing: Vec<_> = acked.iter().filter(|id| !seen.contains(*id)).collect();
        assert!(
            missing.is_empty(),
            "{when}, query {query:?}: {} acknowledged statements missing",
            missing.len()
        );
    }
    let one = acked.last().unwrap();
    let got = s
        .get_json(&format!("/xapi/statements?statementId={one}"))
        .await;
    assert_eq!(got["id"], one.as_str());
}

fn urlencode(s: &str) -> String {
    s.replace(':', "%3A").replace('/', "%2F")
}

async fn aggregate(s: &TestServer, root: &Cred) -> reqwest::Response {
    s.api(
        Method::POST,
        "/api/v1/stores/00000000-0000-0000-0000-000000000001/aggregate",
        root,
    )
    .json(&json!({}))
    .send()
    .await
    .unwrap()
}

/// Rows of the verb in ClickHouse; `None` while it cannot answer (down, or not migrated yet).
async fn projected(s: &TestServer) -> Option<u64> {
    let sql = format!(
        "SELECT count() FROM {}.statements WHERE verb = '{VERB}'",
        s.cfg.clickhouse_database
    );
    let res = s
        .http
        .post(&s.cfg.clickhouse_url)
        .body(sql)
        .send()
        .await
        .ok()?;
    if !res.status().is_success() {
        return None;
    }
    res.text().await.ok()?.trim().parse().ok()
}

async fn wait_projected(s: &TestServer, acked: &Mutex<Vec<String>>) {
    let n = acked.lock().unwrap().len() as u64;
    let mut last = None;
    for _ in 0..1200 {
        last = projected(s).await;
        if last == Some(n) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("ClickHouse never held the {n} acknowledged statements (last count {last:?})");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_lrs_outlasts_clickhouse() {
    let ch = ClickHouse::new();
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = test_config(dir.path());
    cfg.clickhouse_url = ch.url();
    cfg.page_max = 40;
    let acked = Arc::new(Mutex::new(Vec::new()));
    let t0 = std::time::Instant::now();
    let step = |name: &str| eprintln!("{:>8.2?} {name}", t0.elapsed());

    // 1. ClickHouse has never run: `serve` starts anyway, on a database not yet migrated.
    let s = TestServer::start_with_root_cfg(cfg, dir).await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    post_some(&s, 30, &acked).await;
    assert_all_readable(&s, &acked, "before ClickHouse ever ran").await;
    let res = aggregate(&s, &root).await;
    assert_eq!(res.status(), 503, "analytics without ClickHouse");
    assert!(res.headers().contains_key("retry-after"));
    let body: Value = res.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ClickHouse"),
        "{body}"
    );

    step("2.");
    // 2. ClickHouse comes up: the migrations run and the backlog is projected.
    ch.start();
    wait_projected(&s, &acked).await;
    assert_eq!(aggregate(&s, &root).await.status(), 200);
    assert_all_readable(&s, &acked, "after the first start").await;

    step("3.");
    // 3. ClickHouse stops while statements are posted; reads go on from the log and the tail.
    let stop = Arc::new(Mutex::new(false));
    let posting = poster(&s, stop.clone(), acked.clone());
    tokio::time::sleep(Duration::from_millis(300)).await;
    ch.stop();
    tokio::time::sleep(Duration::from_millis(300)).await;
    step("stopped");
    assert_all_readable(&s, &acked, "during the outage").await;
    step("read during the outage");
    let res = aggregate(&s, &root).await;
    assert_eq!(res.status(), 503, "analytics during the outage");
    assert!(res.headers().contains_key("retry-after"));
    *stop.lock().unwrap() = true;
    posting.await.unwrap();

    step("4.");
    // 4. Cairn restarts while ClickHouse is still down.
    let s = s.restart().await;
    post_some(&s, 25, &acked).await;
    assert_all_readable(&s, &acked, "after a restart during the outage").await;

    step("5.");
    // 5. ClickHouse comes back while statements are posted: everything reaches it.
    *stop.lock().unwrap() = false;
    let posting = poster(&s, stop.clone(), acked.clone());
    tokio::time::sleep(Duration::from_millis(200)).await;
    ch.start();
    tokio::time::sleep(Duration::from_millis(300)).await;
    *stop.lock().unwrap() = true;
    posting.await.unwrap();
    step("posted during the come-back");
    wait_projected(&s, &acked).await;
    step("projected");
    assert_all_readable(&s, &acked, "after ClickHouse came back").await;
    step("end of 5");
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    assert_eq!(aggregate(&s, &root).await.status(), 200);
    let total = acked.lock().unwrap().len();
    assert!(total > 55, "only {total} statements posted");
    s.stop().await;
    step("cairn stopped");
    drop(ch);
    step("clickhouse stopped");
}
