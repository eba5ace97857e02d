//! Store retention on a running node with a real ClickHouse: `retention_months` is set through
//! the admin API (out-of-range values refused with the field named) and kept across restarts;
//! the retention job (run at start-up, then every `retention_interval_minutes`) archives the
//! whole months older than the retention into `archive_dir` and removes them from the xAPI and
//! ClickHouse, leaves the current months and a store without retention as they were, and
//! removes nothing while `archive_dir` is unset.
mod common;

use cairn_core::StoreId;
use cairn_server::archive::files;
use common::archives::{all, seed};
use common::{Cred, ROOT_EMAIL, ROOT_PASSWORD, TestServer, test_config};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const OLD: [&str; 3] = ["2025-01", "2025-02", "2025-03"];

#[tokio::test]
async fn the_job_archives_the_months_past_a_store_retention() {
    let dir = tempfile::tempdir().unwrap();
    let archive_dir = tempfile::tempdir().unwrap();
    let seeds = tempfile::tempdir().unwrap();
    // No archive_dir at first: the job must refuse and remove nothing.
    let cfg = test_config(dir.path());
    let s = TestServer::start_with_root_cfg(cfg, dir).await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let id = |v: &Value| v["id"].as_str().unwrap().to_owned();
    let org = id(&s
        .ok(
            Method::POST,
            "/api/v1/organisations",
            &root,
            Some(json!({"name": "B"})),
            201,
        )
        .await);
    let created = s
        .ok(
            Method::POST,
            "/api/v1/stores",
            &root,
            Some(json!({"organisation": org, "name": "kept forever"})),
            201,
        )
        .await;
    assert_eq!(created["retention_months"], Value::Null);
    let other = StoreId(id(&created).parse().unwrap());
    let body = Some(json!({"store": other.0, "name": "lms", "scopes": ["all"]}));
    let c = s
        .ok(Method::POST, "/api/v1/clients", &root, body, 201)
        .await;
    let (okey, osecret) = (
        c["client"]["key"].as_str().unwrap().to_owned(),
        c["secret"].as_str().unwrap().to_owned(),
    );
    let main = StoreId::DEFAULT;
    seed(&s, seeds.path(), main, &OLD, 3, "zqretmain").await;
    seed(&s, seeds.path(), other, &OLD, 3, "zqretother").await;
    for i in 0..2 {
        let st = json!({"actor": {"mbox": format!("mailto:now{i}@example.com")},
            "verb": {"id": "http://example.com/verbs/v0"},
            "object": {"id": "http://example.com/act/1"}});
        assert_eq!(s.post(st).await.status(), 200);
    }

    // The setting: 1 to 1200 months or null, the field named when refused; a PATCH without it
    // keeps it.
    let path = format!("/api/v1/stores/{}", main.0);
    for bad in [json!(0), json!(1201), json!(-1), json!("12"), json!(1.5)] {
        let (status, v) = s
            .call(
                Method::PATCH,
                &path,
                &root,
                Some(json!({"retention_months": bad})),
            )
            .await;
        assert_eq!(status, 400, "{bad}: {v}");
        assert!(v.to_string().contains("retention_months"), "{bad}: {v}");
    }
    let v = s
        .ok(
            Method::PATCH,
            &path,
            &root,
            Some(json!({"retention_months": 1})),
            200,
        )
        .await;
    assert_eq!(v["retention_months"], 1);
    let v = s
        .ok(
            Method::PATCH,
            &path,
            &root,
            Some(json!({"name": "Main"})),
            200,
        )
        .await;
    assert_eq!(
        (v["name"].as_str(), v["retention_months"].as_u64()),
        (Some("Main"), Some(1))
    );
    let (key, secret) = (s.key.clone(), s.secret.clone());
    s.wait_projected(&format!("store = toUUID('{}')", main.0), 11)
        .await;
    let main_before = all(&s, &key, &secret, "").await;
    let other_before = all(&s, &okey, &osecret, "").await;
    assert_eq!((main_before.len(), other_before.len()), (11, 9));

    // Without archive_dir the job (run at start-up) refuses: nothing is removed.
    let s = s.restart().await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let v = s.ok(Method::GET, &path, &root, None, 200).await;
    assert_eq!(v["retention_months"], 1, "the retention survives a restart");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(all(&s, &key, &secret, "").await, main_before);

    // With archive_dir: the months older than one month are archived and removed.
    let mut s = s;
    s.cfg.archive_dir = Some(archive_dir.path().into());
    let s = s.restart().await;
    let started = Instant::now();
    let mut main_after = all(&s, &key, &secret, "").await;
    while main_after.len() != 2 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the job did not archive: {} statements left",
            main_after.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        main_after = all(&s, &key, &secret, "").await;
    }
    for st in &main_after {
        assert!(!st["stored"].as_str().unwrap().starts_with("2025-"), "{st}");
    }
    for m in OLD {
        let manifest = files::manifest(archive_dir.path(), main, m.parse().unwrap())
            .unwrap()
            .unwrap_or_else(|| panic!("no archive of {m}"));
        assert_eq!(manifest.count, 3);
        let archived = files::read(archive_dir.path(), main, m.parse().unwrap()).unwrap();
        let mut ids: Vec<String> = archived
            .statements
            .iter()
            .map(|l| id(&serde_json::from_slice(l).unwrap()))
            .collect();
        ids.sort();
        let want: Vec<String> = main_before
            .iter()
            .filter(|st| st["stored"].as_str().unwrap().starts_with(m))
            .map(id)
            .collect();
        assert_eq!(ids, want, "{m}");
        assert!(
            files::manifest(archive_dir.path(), other, m.parse().unwrap())
                .unwrap()
                .is_none()
        );
    }
    let started = Instant::now();
    while s
        .clickhouse_count(&format!("store = toUUID('{}')", main.0))
        .await
        != 2
    {
        assert!(started.elapsed() < Duration::from_secs(30));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The store without retention is as it was.
    assert_eq!(all(&s, &okey, &osecret, "").await, other_before);
    assert_eq!(
        s.clickhouse_count(&format!("store = toUUID('{}')", other.0))
            .await,
        9
    );
}
