//! Deleting a store purges it: afterwards nothing of its statements, documents and projected
//! rows is found in any file of the data directory nor in any ClickHouse table, and the other
//! stores are untouched.
mod common;

use common::erased::{clickhouse_dump, files_with};

use common::{Cred, ROOT_EMAIL, ROOT_PASSWORD, TestServer};
use reqwest::Method;
use serde_json::json;
use std::time::{Duration, Instant};

const TAG: &str = "zqdeletedstore";
fn statement(who: &str, activity: &str) -> serde_json::Value {
    json!({
        "id": common::uuid(),
        "actor": {"mbox": format!("mailto:{who}@example.com")},
        "verb": {"id": "http://example.com/verbs/did"},
        "object": {"id": activity},
        "result": {"response": format!("{who} {}", common::uuid())},
    })
}

#[tokio::test]
async fn a_deleted_store_leaves_nothing_behind() {
    let s = TestServer::start_with_root().await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let org = s
        .ok(
            Method::POST,
            "/api/v1/organisations",
            &root,
            Some(json!({"name": "Gone Ltd"})),
            201,
        )
        .await;
    let store = s
        .ok(
            Method::POST,
            "/api/v1/stores",
            &root,
            Some(json!({"organisation": org["id"], "name": "doomed"})),
            201,
        )
        .await;
    let store_id = store["id"].as_str().unwrap().to_owned();
    let c = s
        .ok(
            Method::POST,
            "/api/v1/clients",
            &root,
            Some(json!({"store": store_id, "name": "lms", "scopes": ["all"]})),
            201,
        )
        .await;
    let (key, secret) = (
        c["client"]["key"].as_str().unwrap().to_owned(),
        c["secret"].as_str().unwrap().to_owned(),
    );
    let doomed: Vec<_> = (0..10)
        .map(|_| statement(TAG, &format!("http://example.com/{TAG}/act")))
        .collect();
    let res = s
        .xapi(Method::POST, "/xapi/statements", &key, &secret)
        .json(&doomed)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let agent: String = form_urlencoded::byte_serialize(
        json!({"mbox": format!("mailto:{TAG}@example.com")})
            .to_string()
            .as_bytes(),
    )
    .collect();
    let res = s
        .xapi(
            Method::PUT,
            &format!("/xapi/agents/profile?agent={agent}&profileId=p"),
            &key,
            &secret,
        )
        .header("Content-Type", "text/plain")
        .header("If-None-Match", "*")
        .body(format!("{TAG} profile"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let kept: Vec<_> = (0..5)
        .map(|_| statement("kept", "http://example.com/act/kept"))
        .collect();
    assert_eq!(s.post(json!(kept)).await.status(), 200);
    s.wait_projected("1", 15).await;
    assert!(clickhouse_dump(&s).await.contains(TAG), "the search works");

    let (code, _) = s
        .call(
            Method::DELETE,
            &format!("/api/v1/stores/{store_id}"),
            &root,
            None,
        )
        .await;
    assert_eq!(code, 204);
    let started = Instant::now();
    while !files_with(&s.cfg.data_dir, TAG).is_empty() || clickhouse_dump(&s).await.contains(TAG) {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the deleted store's data is still there"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for st in &kept {
        let id = st["id"].as_str().unwrap();
        s.get_json(&format!("/xapi/statements?statementId={id}"))
            .await;
    }
    assert_eq!(s.clickhouse_count("1").await, 5);
    // The credentials went with the store.
    let res = s
        .xapi(Method::GET, "/xapi/statements", &key, &secret)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}
