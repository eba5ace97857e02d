//! Looking for erased data: every row of a node's ClickHouse tables as text, and the files of a
//! data directory that hold a byte string.
use super::{Cred, TestServer};
use reqwest::Method;
use serde_json::Value;

/// Runs `sql` on the node's ClickHouse and answers its text.
pub async fn clickhouse(s: &TestServer, sql: &str) -> String {
    let res = reqwest::Client::new()
        .post(&s.cfg.clickhouse_url)
        .body(sql.to_owned())
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{sql}");
    res.text().await.unwrap()
}

/// Every row of every table of the node's database, as text.
pub async fn clickhouse_dump(s: &TestServer) -> String {
    let db = &s.cfg.clickhouse_database;
    let tables = clickhouse(
        s,
        &format!(
            "SELECT name FROM system.tables WHERE database = '{db}' \
             AND engine NOT IN ('MaterializedView', 'View', 'Null')"
        ),
    )
    .await;
    let mut out = String::new();
    for t in tables.lines() {
        out.push_str(&clickhouse(s, &format!("SELECT * FROM {db}.`{t}` FORMAT TSV")).await);
    }
    out
}

/// The files below `dir` whose bytes contain `needle` (a directory removed while it is read,
/// as the storage engine does during a compaction, is passed over).
pub fn files_with(dir: &std::path::Path, needle: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(b) = std::fs::read(&p)
                && memchr::memmem::find(&b, needle.as_bytes()).is_some()
            {
                out.push(p.display().to_string());
            }
        }
    }
    out
}

/// Polls an erasure (or store purge, or batch delete) until it is `finished`, and answers its
/// status; panics when it `failed` or is still running after two minutes.
pub async fn wait_finished(s: &TestServer, cred: &Cred, id: &str) -> Value {
    for _ in 0..1200 {
        let v = s
            .ok(
                Method::GET,
                &format!("/api/v1/erasures/{id}"),
                cred,
                None,
                200,
            )
            .await;
        match v["state"].as_str().unwrap() {
            "finished" => return v,
            "failed" => panic!("erasure failed: {v}"),
            _ => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    panic!("the erasure did not finish in 2 minutes");
}
