//! Looking for erased data: every row of a node's ClickHouse tables as text, and the files of a
//! data directory that hold a byte string.
use super::TestServer;

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
