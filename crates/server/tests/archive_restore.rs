//! Month archives on a running node with a real ClickHouse (`cairn archive`, through the
//! control socket): two stores hold statements over several months; archiving two months of
//! one store removes them from the xAPI, every ClickHouse table and every file of the data
//! directory, and leaves the other store as it was; restoring them gives back the identical
//! statements (by id and content) and aggregates, `since` / `until` find them at their new log
//! positions, a second restore is a no-op and a conflicting archive is refused.
mod common;

use cairn_core::StoreId;
use cairn_core::archive::Month;
use cairn_core::event::{FilterKeys, StatementRecord};
use cairn_server::archive::control::{ArchiveReply, ArchiveRequest, command};
use common::erased::{clickhouse_dump, files_with};
use common::{Cred, ROOT_EMAIL, ROOT_PASSWORD, TestServer, test_config, uuid};
use reqwest::Method;
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;

const MONTHS: [&str; 3] = ["2025-01", "2025-02", "2025-03"];

/// A stored statement of `month` (day `i + 1`, 10:00 UTC) whose response holds `tag`.
fn record(store: StoreId, month: &str, i: usize, tag: &str) -> Arc<StatementRecord> {
    let id = uuid();
    let body = json!({
        "id": id,
        "actor": {"objectType": "Agent", "mbox": format!("mailto:p{i}@example.com")},
        "verb": {"id": format!("http://example.com/verbs/v{}", i % 2)},
        "object": {"objectType": "Activity", "id": "http://example.com/act/1"},
        "result": {"response": format!("{tag}-{month}-{i}"), "success": i.is_multiple_of(2)},
        "timestamp": format!("{month}-{:02}T09:00:00.000Z", i + 1),
        "authority": {"objectType": "Agent", "mbox": "mailto:lms@example.com"},
        "version": "1.0.0",
    });
    let stored = format!("{month}-{:02}T10:00:00.000000Z", i + 1);
    Arc::new(StatementRecord {
        store,
        id: id.parse().unwrap(),
        stored_us: cairn_core::time_fmt::parse_us(&stored).unwrap(),
        keys: FilterKeys::default(),
        voids: None,
        attachments: vec![],
        body: serde_json::to_vec(&body).unwrap(),
    })
}

/// Seeds `store` with 4 statements in each of [`MONTHS`], by restoring archives written here.
async fn seed(s: &TestServer, dir: &Path, store: StoreId, tag: &str) {
    for m in MONTHS {
        let month: Month = m.parse().unwrap();
        let records: Vec<_> = (0..4).map(|i| record(store, m, i, tag)).collect();
        cairn_server::archive::files::write(dir, store, month, &records, &[]).unwrap();
        let reply = command(&s.cfg, restore(store, m, Some(dir))).await.unwrap();
        assert!(matches!(reply, ArchiveReply::Restored(r) if r.appended == 4));
    }
}

fn restore(store: StoreId, month: &str, dir: Option<&Path>) -> ArchiveRequest {
    ArchiveRequest::Restore {
        store,
        month: month.parse().unwrap(),
        dir: dir.map(Into::into),
    }
}

/// Every statement of a store through the xAPI (all pages), sorted by id.
async fn all(s: &TestServer, key: &str, secret: &str, query: &str) -> Vec<Value> {
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

async fn aggregates(s: &TestServer, root: &Cred, store: StoreId) -> Value {
    let req = json!({"group_by": [{"time": "month"}, "verb"], "source": "aggregate",
        "measures": ["count", "unique_actors", "successes"],
        "from": "2024-12-01T00:00:00Z"});
    let path = format!("/api/v1/stores/{store}/aggregate");
    s.ok(Method::POST, &path, root, Some(req), 200).await
}

#[tokio::test]
async fn archive_then_restore_months_of_one_store() {
    let dir = tempfile::tempdir().unwrap();
    let archives = tempfile::tempdir().unwrap();
    let seeds = tempfile::tempdir().unwrap();
    let mut cfg = test_config(dir.path());
    cfg.archive_dir = Some(archives.path().into());
    let s = TestServer::start_with_root_cfg(cfg, dir).await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    // A second store in its own organisation, with its client.
    let id = |v: Value| v["id"].as_str().unwrap().to_owned();
    let org = id(s
        .ok(
            Method::POST,
            "/api/v1/organisations",
            &root,
            Some(json!({"name": "B"})),
            201,
        )
        .await);
    let body = Some(json!({"organisation": org, "name": "other"}));
    let other = StoreId(
        id(s.ok(Method::POST, "/api/v1/stores", &root, body, 201).await)
            .parse()
            .unwrap(),
    );
    let body = Some(json!({"store": other.0, "name": "lms", "scopes": ["all"]}));
    let c = s
        .ok(Method::POST, "/api/v1/clients", &root, body, 201)
        .await;
    let (okey, osecret) = (
        c["client"]["key"].as_str().unwrap().to_owned(),
        c["secret"].as_str().unwrap().to_owned(),
    );
    let (key, secret) = (s.key.clone(), s.secret.clone());
    let main = StoreId::DEFAULT;

    seed(&s, seeds.path(), main, "zqarchmain").await;
    seed(&s, seeds.path(), other, "zqarchother").await;
    for i in 0..3 {
        let st = json!({"actor": {"mbox": format!("mailto:now{i}@example.com")},
            "verb": {"id": "http://example.com/verbs/v0"},
            "object": {"id": "http://example.com/act/1"}});
        assert_eq!(s.post(st).await.status(), 200);
    }
    s.wait_projected(&format!("store = toUUID('{}')", main.0), 15)
        .await;
    s.wait_projected(&format!("store = toUUID('{}')", other.0), 12)
        .await;
    let main_before = all(&s, &key, &secret, "").await;
    let other_before = all(&s, &okey, &osecret, "").await;
    assert_eq!((main_before.len(), other_before.len()), (15, 12));
    let agg_before = aggregates(&s, &root, main).await;
    let other_agg = aggregates(&s, &root, other).await;

    // Archive January and February of the main store.
    for m in &MONTHS[..2] {
        let req = ArchiveRequest::Month {
            store: main,
            month: m.parse().unwrap(),
            dir: None,
        };
        match command(&s.cfg, req).await.unwrap() {
            ArchiveReply::Archived(manifest) => assert_eq!(manifest.count, 4),
            other => panic!("{other:?}"),
        }
    }
    let main_after = all(&s, &key, &secret, "").await;
    assert_eq!(main_after.len(), 7);
    for st in &main_after {
        let r = st["result"]["response"].as_str().unwrap_or("");
        assert!(!r.contains("2025-01") && !r.contains("2025-02"), "{st}");
    }
    assert_eq!(
        s.clickhouse_count(&format!("store = toUUID('{}')", main.0))
            .await,
        7
    );
    let dump = clickhouse_dump(&s).await;
    for m in &MONTHS[..2] {
        let needle = format!("zqarchmain-{m}");
        assert!(!dump.contains(&needle), "ClickHouse still holds {needle}");
        assert_eq!(files_with(&s.cfg.data_dir, &needle), Vec::<String>::new());
    }
    // ClickHouse keeps no bodies: no row of an archived statement (by id) is left, the
    // other store's are all there.
    for st in &main_before {
        let (id, stored) = (st["id"].as_str().unwrap(), st["stored"].as_str().unwrap());
        let archived = stored.starts_with("2025-01") || stored.starts_with("2025-02");
        assert_eq!(dump.contains(id), !archived, "{id} stored {stored}");
    }
    for st in &other_before {
        assert!(dump.contains(st["id"].as_str().unwrap()));
    }
    // The log held the bodies before: the search finds the months kept.
    assert!(!files_with(&s.cfg.data_dir, "zqarchmain-2025-03").is_empty());
    assert_ne!(
        aggregates(&s, &root, main).await,
        agg_before,
        "the aggregates changed"
    );
    assert_eq!(all(&s, &okey, &osecret, "").await, other_before);
    assert_eq!(aggregates(&s, &root, other).await, other_agg);
    // Archiving an archived month again changes nothing; the list shows both.
    let again = ArchiveRequest::Month {
        store: main,
        month: "2025-01".parse().unwrap(),
        dir: None,
    };
    assert!(
        matches!(command(&s.cfg, again).await.unwrap(), ArchiveReply::Archived(m) if m.count == 4)
    );
    match command(&s.cfg, ArchiveRequest::List { dir: None })
        .await
        .unwrap()
    {
        ArchiveReply::List(l) => assert_eq!(
            l.iter()
                .map(|m| (m.store, m.month.to_string(), m.count))
                .collect::<Vec<_>>(),
            vec![(main, "2025-01".into(), 4), (main, "2025-02".into(), 4)]
        ),
        other => panic!("{other:?}"),
    }

    // Restore them: the same statements, the same aggregates.
    for m in &MONTHS[..2] {
        let r = command(&s.cfg, restore(main, m, None)).await.unwrap();
        assert!(matches!(r, ArchiveReply::Restored(r) if r.appended == 4));
    }
    s.wait_projected(&format!("store = toUUID('{}')", main.0), 15)
        .await;
    assert_eq!(all(&s, &key, &secret, "").await, main_before);
    let mut agg_after = Value::Null;
    for _ in 0..200 {
        agg_after = aggregates(&s, &root, main).await;
        if agg_after == agg_before {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(agg_after, agg_before);
    // since / until find the restored statements at their new log positions.
    let jan: Vec<Value> = main_before
        .iter()
        .filter(|st| st["stored"].as_str().unwrap().starts_with("2025-01"))
        .cloned()
        .collect();
    let q = "&since=2024-12-31T00:00:00Z&until=2025-01-31T00:00:00Z";
    assert_eq!(all(&s, &key, &secret, q).await, jan);
    let q = "&until=2025-02-28T00:00:00Z";
    assert_eq!(all(&s, &key, &secret, q).await.len(), 8);
    // A second restore is a no-op; an archive whose statement conflicts is refused.
    let r = command(&s.cfg, restore(main, "2025-01", None))
        .await
        .unwrap();
    assert!(matches!(r, ArchiveReply::Restored(r) if r.appended == 0 && r.statements == 4));
    let mut changed = serde_json::from_value::<Value>(main_before[0].clone()).unwrap();
    changed["result"] = json!({"response": "different"});
    let stored = cairn_core::time_fmt::parse_us(changed["stored"].as_str().unwrap()).unwrap();
    changed.as_object_mut().unwrap().remove("stored");
    let clash = Arc::new(StatementRecord {
        store: main,
        id: changed["id"].as_str().unwrap().parse().unwrap(),
        stored_us: stored,
        keys: FilterKeys::default(),
        voids: None,
        attachments: vec![],
        body: serde_json::to_vec(&changed).unwrap(),
    });
    let month: Month = "2024-06".parse().unwrap();
    cairn_server::archive::files::write(seeds.path(), main, month, &[clash], &[]).unwrap();
    let err = command(&s.cfg, restore(main, "2024-06", Some(seeds.path())))
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("conflicts"), "{err:#}");
    // Nonsense is refused with what is wrong.
    let err = command(&s.cfg, restore(main, "2023-01", None))
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("no archive"), "{err:#}");
}
