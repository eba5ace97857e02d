//! `kill -9` in the middle of the retention job: the restarted node finishes archiving (every
//! month's files complete and matching their manifest, the statements gone from the xAPI), and
//! nothing is lost: restoring the archives gives every statement back. A real `cairn` process,
//! a real SIGKILL.
mod common;

use cairn_core::StoreId;
use cairn_server::archive::control::{ArchiveReply, command};
use cairn_server::archive::files;
use common::archives::{restore, seed_through};
use common::process::{KEY, SECRET, free_port, spawn, wait_healthy};
use std::time::{Duration, Instant};

const OLD: [&str; 3] = ["2025-01", "2025-02", "2025-03"];
const PER_MONTH: usize = 300;

async fn ids(http: &reqwest::Client, base: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut path = "/xapi/statements?limit=500".to_owned();
    loop {
        let page: serde_json::Value = http
            .get(format!("{base}{path}"))
            .basic_auth(KEY, Some(SECRET))
            .header("X-Experience-API-Version", "1.0.3")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for st in page["statements"].as_array().unwrap() {
            out.push(st["id"].as_str().unwrap().to_owned());
        }
        match page["more"].as_str() {
            Some(m) if !m.is_empty() => path = m.to_owned(),
            _ => break,
        }
    }
    out.sort();
    out
}

/// Logs the site administrator in; answers the session cookie.
async fn login(http: &reqwest::Client, base: &str) -> String {
    let res = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": common::ROOT_EMAIL, "password": common::ROOT_PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    cookie.split(';').next().unwrap().to_owned()
}

/// Sets the default store's retention through the admin API.
async fn set_retention(http: &reqwest::Client, base: &str, months: serde_json::Value) {
    let cookie = login(http, base).await;
    let res = http
        .patch(format!("{base}/api/v1/stores/{}", StoreId::DEFAULT.0))
        .header("cookie", &cookie)
        .header("origin", base)
        .json(&serde_json::json!({"retention_months": months}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

fn manifests(dir: &std::path::Path) -> usize {
    OLD.iter()
        .filter(|m| {
            files::manifest(dir, StoreId::DEFAULT, m.parse().unwrap())
                .unwrap()
                .is_some()
        })
        .count()
}

#[tokio::test]
async fn a_retention_run_killed_midway_is_finished_at_restart() {
    let dir = tempfile::tempdir().unwrap();
    let archive_dir = tempfile::tempdir().unwrap();
    let seeds = tempfile::tempdir().unwrap();
    let cfg = common::test_config(dir.path());
    cairn_server::admin_cli::run(
        &cfg,
        cairn_server::admin_cli::AdminCommand::SiteAdmin {
            email: common::ROOT_EMAIL.into(),
            name: None,
            password: Some(common::ROOT_PASSWORD.into()),
            password_stdin: false,
        },
    )
    .await
    .expect("site admin created");
    let http = reqwest::Client::new();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = spawn(
        &cfg,
        port,
        &[("CAIRN_ARCHIVE_DIR", archive_dir.path().as_os_str())],
    );
    wait_healthy(&http, &base).await;
    let store = StoreId::DEFAULT;
    let mut seeded = seed_through(&cfg, seeds.path(), store, &OLD, PER_MONTH, "zqretcrash").await;
    seeded.sort();
    set_retention(&http, &base, 1.into()).await;
    assert_eq!(ids(&http, &base).await, seeded);
    child.kill().unwrap();
    child.wait().unwrap();

    // The job runs at start-up: kill it once it has archived its first month (its removal has
    // begun), before it has archived them all.
    let mut child = spawn(
        &cfg,
        free_port(),
        &[("CAIRN_ARCHIVE_DIR", archive_dir.path().as_os_str())],
    );
    let started = Instant::now();
    while manifests(archive_dir.path()) == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the job did not start:\n{}",
            std::fs::read_to_string(cfg.data_dir.with_extension("log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        manifests(archive_dir.path()) < OLD.len(),
        "the job finished before it could be killed"
    );

    // Restarted, it finishes: every month archived, complete, and gone from the xAPI.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = spawn(
        &cfg,
        port,
        &[("CAIRN_ARCHIVE_DIR", archive_dir.path().as_os_str())],
    );
    wait_healthy(&http, &base).await;
    let started = Instant::now();
    while manifests(archive_dir.path()) < OLD.len() || !ids(&http, &base).await.is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the interrupted run was not finished:\n{}",
            std::fs::read_to_string(cfg.data_dir.with_extension("log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut archived = Vec::new();
    for m in OLD {
        let a = files::read(archive_dir.path(), store, m.parse().unwrap()).unwrap();
        assert_eq!(a.manifest.count, PER_MONTH as u64);
        for l in &a.statements {
            let st: serde_json::Value = serde_json::from_slice(l).unwrap();
            assert!(st["stored"].as_str().unwrap().starts_with(m), "{st}");
            archived.push(st["id"].as_str().unwrap().to_owned());
        }
    }
    archived.sort();
    assert_eq!(
        archived, seeded,
        "every statement is in exactly one archive"
    );

    // Nothing lost: restoring gives every statement back. Retention off first, so that the
    // next run does not archive them again.
    set_retention(&http, &base, serde_json::Value::Null).await;
    for m in OLD {
        let r = command(&cfg, restore(store, m, None)).await.unwrap();
        assert!(matches!(r, ArchiveReply::Restored(r) if r.statements == PER_MONTH as u64));
    }
    assert_eq!(ids(&http, &base).await, seeded);
    child.kill().unwrap();
    child.wait().unwrap();
}
