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
use cairn_server::archive::files;
use common::archives::{all, restore};
use common::erased::{clickhouse_dump, files_with};
use common::{Cred, ROOT_EMAIL, ROOT_PASSWORD, TestServer, test_config};
use reqwest::Method;
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;

const MONTHS: [&str; 3] = ["2025-01", "2025-02", "2025-03"];

/// Seeds `store` with 4 statements in each of [`MONTHS`].
async fn seed(s: &TestServer, dir: &Path, store: StoreId, tag: &str) {
    common::archives::seed(s, dir, store, &MONTHS, 4, tag).await;
}

async fn aggregates(s: &TestServer, root: &Cred, store: StoreId) -> Value {
    let req = json!({"group_by": [{"time": "month"}, "verb"], "source": "aggregate",
        "measures": ["count", "unique_actors", "successes"],
        "from": "2024-12-01T00:00:00Z"});
    let path = format!("/api/v1/stores/{store}/aggregate");
    s.ok(Method::POST, &path, root, Some(req), 200).await
}

/// The aggregates once they count `statements` (the statements table can be ahead of them).
async fn settled_aggregates(s: &TestServer, root: &Cred, store: StoreId, statements: u64) -> Value {
    let started = std::time::Instant::now();
    loop {
        let v = aggregates(s, root, store).await;
        let counted: f64 = v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["values"][0].as_f64().unwrap())
            .sum();
        if counted as u64 == statements {
            return v;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the aggregates never counted {statements}: {v}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
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
    let agg_before = settled_aggregates(&s, &root, main, 15).await;
    let other_agg = settled_aggregates(&s, &root, other, 12).await;

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
        facts: None,
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

/// A statement of `store` stored at `stored` (RFC 3339), voiding `voids` when given.
fn stated(store: StoreId, stored: &str, voids: Option<&str>) -> Arc<StatementRecord> {
    let id = common::uuid();
    let (verb, object) = match voids {
        Some(t) => (
            "http://adlnet.gov/expapi/verbs/voided",
            json!({"objectType": "StatementRef", "id": t}),
        ),
        None => (
            "http://example.com/verbs/did",
            json!({"objectType": "Activity", "id": "http://example.com/act/1"}),
        ),
    };
    let body = json!({"id": id, "actor": {"objectType": "Agent", "mbox": "mailto:v@example.com"},
        "verb": {"id": verb}, "object": object, "timestamp": stored,
        "authority": {"objectType": "Agent", "mbox": "mailto:lms@example.com"},
        "version": "1.0.0"});
    Arc::new(StatementRecord {
        store,
        id: id.parse().unwrap(),
        stored_us: cairn_core::time_fmt::parse_us(stored).unwrap(),
        keys: FilterKeys::default(),
        voids: voids.map(|t| t.parse().unwrap()),
        attachments: vec![],
        body: serde_json::to_vec(&body).unwrap(),
        facts: None,
    })
}

/// Voiding across months: January holds a target `t1` (voided by `v1` in February) and a
/// voiding statement `v2` (whose target `t2` is in February). Archiving January keeps `t1`
/// voided for when it comes back and un-voids `t2` (its voiding statement is gone); restoring
/// January voids `t2` again and brings `t1` back still voided.
#[tokio::test]
async fn voiding_across_archived_and_live_months() {
    let dir = tempfile::tempdir().unwrap();
    let archives = tempfile::tempdir().unwrap();
    let seeds = tempfile::tempdir().unwrap();
    let mut cfg = test_config(dir.path());
    cfg.archive_dir = Some(archives.path().into());
    let s = TestServer::start_with(cfg, dir).await;
    let store = StoreId::DEFAULT;
    let t1 = stated(store, "2025-01-05T10:00:00.000000Z", None);
    let t2_id = common::uuid();
    let v2 = stated(store, "2025-01-06T10:00:00.000000Z", Some(&t2_id));
    let v1 = stated(
        store,
        "2025-02-05T10:00:00.000000Z",
        Some(&t1.id.to_string()),
    );
    let mut t2 = (*stated(store, "2025-02-06T10:00:00.000000Z", None)).clone();
    let mut body: Value = serde_json::from_slice(&t2.body).unwrap();
    body["id"] = json!(t2_id);
    t2.id = t2_id.parse().unwrap();
    t2.body = serde_json::to_vec(&body).unwrap();
    let months = [
        ("2025-01", vec![t1.clone(), v2.clone()]),
        ("2025-02", vec![v1.clone(), Arc::new(t2)]),
    ];
    for (m, records) in &months {
        files::write(seeds.path(), store, m.parse().unwrap(), records, &[]).unwrap();
        let r = command(&s.cfg, restore(store, m, Some(seeds.path())))
            .await
            .unwrap();
        assert!(matches!(r, ArchiveReply::Restored(r) if r.appended == 2));
    }
    let (key, secret) = (s.key.clone(), s.secret.clone());
    let ids = |v: Vec<Value>| -> Vec<String> {
        let mut v: Vec<String> = v
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect();
        v.sort();
        v
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let (t1, v1, v2) = (t1.id.to_string(), v1.id.to_string(), v2.id.to_string());
    assert_eq!(
        ids(all(&s, &key, &secret, "").await),
        sorted(vec![v1.clone(), v2.clone()])
    );

    let req = ArchiveRequest::Month {
        store,
        month: "2025-01".parse().unwrap(),
        dir: None,
    };
    assert!(
        matches!(command(&s.cfg, req).await.unwrap(), ArchiveReply::Archived(m) if m.count == 2)
    );
    assert_eq!(
        ids(all(&s, &key, &secret, "").await),
        sorted(vec![v1.clone(), t2_id.clone()]),
        "t2 is no longer voided once v2 is archived"
    );

    let r = command(&s.cfg, restore(store, "2025-01", None))
        .await
        .unwrap();
    assert!(matches!(r, ArchiveReply::Restored(r) if r.appended == 2));
    assert_eq!(ids(all(&s, &key, &secret, "").await), sorted(vec![v1, v2]));
    let status = |q: String| {
        s.xapi(Method::GET, &format!("/xapi/statements?{q}"), &key, &secret)
            .send()
    };
    let t1_get = status(format!("statementId={t1}")).await.unwrap();
    assert_eq!(t1_get.status(), 404, "t1 is still voided");
    let t1_voided = status(format!("voidedStatementId={t1}")).await.unwrap();
    assert_eq!(t1_voided.status(), 200);
    let t2_get = status(format!("statementId={t2_id}")).await.unwrap();
    assert_eq!(t2_get.status(), 404, "t2 is voided again");
}
