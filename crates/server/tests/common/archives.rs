//! Statements in past months for the archive and retention tests: written as month archives
//! here, then restored through the running node (`cairn archive restore`), which keeps their
//! `stored`; and every statement of a store read back through the xAPI.
use super::{TestServer, uuid};
use cairn_core::StoreId;
use cairn_core::archive::Month;
use cairn_core::event::{FilterKeys, StatementRecord};
use cairn_server::archive::control::{ArchiveReply, ArchiveRequest, command};
use cairn_server::config::Config;
use reqwest::Method;
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;

/// A stored statement of `month` (day `i % 28 + 1`, 10:00 UTC) whose response holds `tag`.
pub fn record(store: StoreId, month: &str, i: usize, tag: &str) -> Arc<StatementRecord> {
    let id = uuid();
    let body = json!({
        "id": id,
        "actor": {"objectType": "Agent", "mbox": format!("mailto:p{i}@example.com")},
        "verb": {"id": format!("http://example.com/verbs/v{}", i % 2)},
        "object": {"objectType": "Activity", "id": "http://example.com/act/1"},
        "result": {"response": format!("{tag}-{month}-{i}"), "success": i.is_multiple_of(2)},
        "timestamp": format!("{month}-{:02}T09:00:00.000Z", i % 28 + 1),
        "authority": {"objectType": "Agent", "mbox": "mailto:lms@example.com"},
        "version": "1.0.0",
    });
    let stored = format!("{month}-{:02}T10:00:00.000000Z", i % 28 + 1);
    Arc::new(StatementRecord {
        store,
        id: id.parse().unwrap(),
        stored_us: cairn_core::time_fmt::parse_us(&stored).unwrap(),
        keys: FilterKeys::default(),
        voids: None,
        attachments: vec![],
        body: serde_json::to_vec(&body).unwrap(),
        facts: None,
    })
}

pub fn restore(store: StoreId, month: &str, dir: Option<&Path>) -> ArchiveRequest {
    ArchiveRequest::Restore {
        store,
        month: month.parse().unwrap(),
        dir: dir.map(Into::into),
    }
}

/// Seeds `store` with `n` statements in each of `months`, by restoring archives written in
/// `dir`, through the node whose data directory `cfg` names; answers their ids.
pub async fn seed_through(
    cfg: &Config,
    dir: &Path,
    store: StoreId,
    months: &[&str],
    n: usize,
    tag: &str,
) -> Vec<String> {
    let mut ids = Vec::new();
    for m in months {
        let month: Month = m.parse().unwrap();
        let records: Vec<_> = (0..n).map(|i| record(store, m, i, tag)).collect();
        ids.extend(records.iter().map(|r| r.id.to_string()));
        cairn_server::archive::files::write(dir, store, month, &records, &[]).unwrap();
        let reply = command(cfg, restore(store, m, Some(dir))).await.unwrap();
        assert!(matches!(reply, ArchiveReply::Restored(r) if r.appended == n as u64));
    }
    ids
}

/// [`seed_through`] the test node `s`.
pub async fn seed(
    s: &TestServer,
    dir: &Path,
    store: StoreId,
    months: &[&str],
    n: usize,
    tag: &str,
) {
    seed_through(&s.cfg, dir, store, months, n, tag).await;
}

/// Every statement of a store through the xAPI (all pages), sorted by id.
pub async fn all(s: &TestServer, key: &str, secret: &str, query: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut path = format!("/xapi/statements?limit=50{query}");
    loop {
        let res = s
            .xapi(Method::GET, &path, key, secret)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let page: Value = res.json().await.unwrap();
        out.extend(page["statements"].as_array().unwrap().iter().cloned());
        match page["more"].as_str() {
            Some(more) if !more.is_empty() => path = more.to_owned(),
            _ => break,
        }
    }
    out.sort_by_key(|v| v["id"].as_str().unwrap().to_owned());
    out
}
