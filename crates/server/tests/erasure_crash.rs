//! `kill -9` in the middle of an erasure: the restarted node finishes it (the statements are
//! gone from the xAPI, the data directory and ClickHouse), and everyone else's are kept.
//! A real `cairn` process, a real SIGKILL.
mod common;

use common::erased::files_with;
use common::process::{KEY, SECRET, free_port, spawn, wait_healthy};

use std::time::{Duration, Instant};

const TAG: &str = "zqcrashed";
const ALICE: &str = "mailto:zqcrashed.alice@example.com";

fn statement(mbox: &str, response: &str) -> serde_json::Value {
    serde_json::json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "actor": {"mbox": mbox},
        "verb": {"id": "http://example.com/verbs/did"},
        "object": {"id": "http://example.com/act/1"},
        "result": {"response": response},
    })
}

#[tokio::test]
async fn an_erasure_killed_midway_is_finished_at_restart() {
    let dir = tempfile::tempdir().unwrap();
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
    let mut child = spawn(&cfg, port, &[]);
    wait_healthy(&http, &base).await;
    let xapi = |m: reqwest::Method, path: &str| {
        http.request(m, format!("{base}{path}"))
            .basic_auth(KEY, Some(SECRET))
            .header("X-Experience-API-Version", "1.0.3")
    };
    let alice: Vec<_> = (0..20)
        .map(|i| statement(ALICE, &format!("{TAG}-{i}-{}", uuid::Uuid::new_v4())))
        .collect();
    let bob: Vec<_> = (0..20)
        .map(|i| statement("mailto:bob@example.com", &format!("kept {i}")))
        .collect();
    for batch in [&alice, &bob] {
        let res = xapi(reqwest::Method::POST, "/xapi/statements")
            .json(batch)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let login = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": common::ROOT_EMAIL, "password": common::ROOT_PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let res = http
        .post(format!("{base}/api/v1/erasures"))
        .header("cookie", &cookie)
        .header("origin", &base)
        .json(
            &serde_json::json!({"agent": {"mbox": ALICE}, "store": cairn_core::StoreId::DEFAULT.0}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let id = res.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Kill it once the purge has begun (its plan is in the log), before it is finished.
    let started = Instant::now();
    loop {
        let v: serde_json::Value = http
            .get(format!("{base}/api/v1/erasures/{id}"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let state = v["state"].as_str().unwrap().to_owned();
        if ["waiting", "projection", "removing", "compacting"].contains(&state.as_str()) {
            break;
        }
        assert_ne!(
            state, "finished",
            "the erasure ended before it could be killed"
        );
        assert!(started.elapsed() < Duration::from_secs(60), "{v}");
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = spawn(&cfg, port, &[]);
    wait_healthy(&http, &base).await;
    let started = Instant::now();
    while !files_with(&cfg.data_dir, TAG).is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the interrupted erasure was not finished:\n{}",
            std::fs::read_to_string(cfg.data_dir.with_extension("log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let xapi = |path: String| {
        http.get(format!("{base}{path}"))
            .basic_auth(KEY, Some(SECRET))
            .header("X-Experience-API-Version", "1.0.3")
    };
    for st in &alice {
        let id = st["id"].as_str().unwrap();
        let res = xapi(format!("/xapi/statements?statementId={id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
    }
    for st in &bob {
        let id = st["id"].as_str().unwrap();
        let res = xapi(format!("/xapi/statements?statementId={id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let sql = format!(
        "SELECT count() FROM {}.statements WHERE position(actor_ifi, '{TAG}') > 0",
        cfg.clickhouse_database
    );
    let left = http
        .post(&cfg.clickhouse_url)
        .body(sql)
        .send()
        .await
        .unwrap();
    assert_eq!(left.text().await.unwrap().trim(), "0");
    child.kill().unwrap();
    child.wait().unwrap();
}
