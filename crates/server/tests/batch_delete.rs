//! Deleting the statements a filter matches: a dry run counts them first, only site and
//! organisation administrators may, and afterwards they are gone from the xAPI, ClickHouse and
//! the data directory while the others stay.
mod common;

use common::erased::{files_with, wait_finished};

use common::{Cred, ROOT_EMAIL, ROOT_PASSWORD, TestServer};
use reqwest::Method;
use serde_json::{Value, json};

const TAG: &str = "zqbatchdeleted";
const DOOMED: &str = "http://example.com/verbs/doomed";
const KEPT: &str = "http://example.com/verbs/kept";

fn statement(verb: &str, response: &str) -> Value {
    json!({
        "id": common::uuid(),
        "actor": {"mbox": "mailto:someone@example.com"},
        "verb": {"id": verb},
        "object": {"id": "http://example.com/act/1"},
        "result": {"response": response},
    })
}
#[tokio::test]
async fn statements_matching_a_filter_are_deleted_after_a_dry_run() {
    let s = TestServer::start_with_root().await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let doomed: Vec<_> = (0..7)
        .map(|i| statement(DOOMED, &format!("{TAG} {i}")))
        .collect();
    let kept: Vec<_> = (0..4)
        .map(|i| statement(KEPT, &format!("kept {i}")))
        .collect();
    assert_eq!(s.post(json!(doomed)).await.status(), 200);
    assert_eq!(s.post(json!(kept)).await.status(), 200);
    s.wait_projected("1", 11).await;
    let path = format!(
        "/api/v1/stores/{}/statements/delete",
        cairn_core::StoreId::DEFAULT.0
    );
    let filter = json!({"field": "verb", "eq": DOOMED});

    let (_, viewer) = s.user_with_token(&root, "viewer@example.com").await;
    let (code, _) = s
        .call(
            Method::POST,
            &path,
            &viewer,
            Some(json!({"filter": filter, "dry_run": true})),
        )
        .await;
    assert!(code == 403 || code == 404, "{code}");
    let (code, body) = s
        .call(
            Method::POST,
            &path,
            &root,
            Some(json!({"filter": {"field": "nope", "eq": 1}})),
        )
        .await;
    assert_eq!(code, 400, "{body}");

    let dry = s
        .ok(
            Method::POST,
            &path,
            &root,
            Some(json!({"filter": filter, "dry_run": true})),
            200,
        )
        .await;
    assert_eq!(dry["statements"], 7, "{dry}");
    assert_eq!(dry["state"], "dry_run");
    assert_eq!(
        s.clickhouse_count("1").await,
        11,
        "a dry run deletes nothing"
    );

    let started = s
        .ok(
            Method::POST,
            &path,
            &root,
            Some(json!({"filter": filter})),
            202,
        )
        .await;
    let id = started["id"].as_str().unwrap();
    let done = wait_finished(&s, &root, id).await;
    assert_eq!(done["state"], "finished", "{done}");
    assert_eq!(done["statements"], 7);
    for st in &doomed {
        let id = st["id"].as_str().unwrap();
        let res = s
            .req(Method::GET, &format!("/xapi/statements?statementId={id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
    }
    for st in &kept {
        let id = st["id"].as_str().unwrap();
        let got = s
            .get_json(&format!("/xapi/statements?statementId={id}"))
            .await;
        assert_eq!(got["result"], st["result"]);
    }
    assert_eq!(s.clickhouse_count("1").await, 4);
    assert_eq!(s.clickhouse_count(&format!("verb = '{KEPT}'")).await, 4);
    assert_eq!(files_with(&s.cfg.data_dir, TAG), Vec::<String>::new());
}
