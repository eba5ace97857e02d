//! Erasure of a person through `POST /api/v1/erasures`: once it is finished (the compaction is
//! part of it), no byte of the person's identifier nor of their statements' unique contents is
//! in any file of the data directory nor in any ClickHouse table, while everyone else's
//! statements, aggregates and documents are unchanged.
mod common;

use common::erased::{clickhouse, clickhouse_dump, files_with, wait_finished};

use common::{Cred, ROOT_EMAIL, ROOT_PASSWORD, TestServer, uuid};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

/// Every piece of the erased person's data contains this, and nothing else does.
const TAG: &str = "zqerased";
const ALICE: &str = "mailto:zqerased.alice@example.com";
const BOB: &str = "mailto:bob@example.com";
const BOB_ONLY: &str = "http://example.com/verbs/alone";
const BOB_ACTIVITY: &str = "http://example.com/act/bob";
const SHARED: &str = "http://example.com/verbs/together";

fn agent(mbox: &str) -> Value {
    json!({"objectType": "Agent", "mbox": mbox})
}

fn stmt(actor: Value, verb: &str, response: &str) -> Value {
    json!({
        "id": uuid(),
        "actor": actor,
        "verb": {"id": verb, "display": {"en-US": "did"}},
        "object": {"objectType": "Activity", "id": "http://example.com/act/1"},
        "result": {"response": response, "score": {"scaled": 0.5}},
    })
}

/// The statements about Alice (as actor, group member, instructor, sub-statement actor) and
/// Bob's own.
fn statements() -> (Vec<Value>, Vec<Value>) {
    let secret = || format!("{TAG}-{}", uuid());
    let mut alice = vec![
        stmt(agent(ALICE), SHARED, &secret()),
        stmt(agent(ALICE), BOB_ONLY, &secret()),
        stmt(
            json!({"objectType": "Group", "name": "pair", "member": [agent(ALICE), agent("mailto:carol@example.com")]}),
            SHARED,
            &secret(),
        ),
    ];
    let mut taught = stmt(agent(BOB), SHARED, &secret());
    taught["context"] = json!({"instructor": agent(ALICE)});
    alice.push(taught);
    let mut sub = stmt(agent(BOB), SHARED, &secret());
    sub["object"] = json!({"objectType": "SubStatement", "actor": agent(ALICE),
        "verb": {"id": SHARED}, "object": {"objectType": "Activity", "id": "http://example.com/act/2"}});
    alice.push(sub);
    let bob = (0..6)
        .map(|i| {
            let mut b = stmt(agent(BOB), BOB_ONLY, &format!("bob answer {i}"));
            b["object"]["id"] = json!(BOB_ACTIVITY);
            b
        })
        .collect();
    (alice, bob)
}
/// The aggregates of Bob's own statements (their activity is theirs only): hourly rows and
/// autocomplete values.
async fn bobs_aggregates(s: &TestServer) -> String {
    let db = &s.cfg.clickhouse_database;
    let hourly = clickhouse(
        s,
        &format!(
            "SELECT stored_hour, hour, verb, object_id, actor_ifi, countMerge(statements), \
             uniqExactMerge(actors), sumIfMerge(score_scaled_sum) FROM {db}.statements_hourly \
             WHERE object_id = '{BOB_ACTIVITY}' \
             GROUP BY stored_hour, hour, verb, object_id, actor_ifi FORMAT TSV"
        ),
    )
    .await;
    let values = clickhouse(
        s,
        &format!(
            "SELECT path, value, countMerge(statements) FROM {db}.query_values \
             WHERE value = '{BOB_ACTIVITY}' GROUP BY path, value \
             ORDER BY path, value FORMAT TSV"
        ),
    )
    .await;
    format!("{hourly}\n{values}")
}
async fn put_doc(s: &TestServer, path: &str, body: String) {
    let res = s
        .req(Method::PUT, path)
        .header("Content-Type", "text/plain")
        .header("If-None-Match", "*")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        204,
        "PUT {path}: {}",
        res.text().await.unwrap()
    );
}

fn profile_path(mbox: &str) -> String {
    let a = urlencoding(&agent(mbox).to_string());
    format!("/xapi/agents/profile?agent={a}&profileId=prefs")
}

fn state_path(mbox: &str) -> String {
    let a = urlencoding(&agent(mbox).to_string());
    format!(
        "/xapi/activities/state?activityId=http%3A%2F%2Fexample.com%2Fact%2F1&agent={a}&stateId=s"
    )
}

fn urlencoding(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn erasing_an_agent_leaves_nothing_of_them_and_everything_else() {
    let s = TestServer::start_with_root().await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let (alice, bob) = statements();
    for st in alice.iter().chain(&bob) {
        assert_eq!(s.post(st.clone()).await.status(), 200);
    }
    put_doc(&s, &profile_path(ALICE), format!("{TAG} profile")).await;
    put_doc(&s, &state_path(ALICE), format!("{TAG} state")).await;
    put_doc(&s, &profile_path(BOB), "bob's profile".into()).await;
    s.wait_projected("1", 11).await;
    wait_values(&s, 11).await;
    assert!(clickhouse_dump(&s).await.contains(TAG), "the search works");
    let bob_before: Vec<Value> = fetch_all(&s, &bob).await;
    let aggregates_before = bobs_aggregates(&s).await;

    // Bad requests are refused with what is wrong.
    let (code, _) = s
        .call(
            Method::POST,
            "/api/v1/erasures",
            &root,
            Some(json!({"agent": agent(ALICE)})),
        )
        .await;
    assert_eq!(code, 400);
    let (code, _) = s
        .call(
            Method::POST,
            "/api/v1/erasures",
            &root,
            Some(json!({"agent": {"name": "x"}, "store": cairn_core::StoreId::DEFAULT.0})),
        )
        .await;
    assert_eq!(code, 400);
    let (_, viewer) = s.user_with_token(&root, "viewer@example.com").await;
    let (code, _) = s
        .call(
            Method::POST,
            "/api/v1/erasures",
            &viewer,
            Some(json!({"agent": agent(ALICE), "store": cairn_core::StoreId::DEFAULT.0})),
        )
        .await;
    assert!(code == 403 || code == 404, "{code}");

    let started = s
        .ok(
            Method::POST,
            "/api/v1/erasures",
            &root,
            Some(json!({"agent": agent(ALICE), "store": cairn_core::StoreId::DEFAULT.0})),
            202,
        )
        .await;
    let id = started["id"].as_str().unwrap().to_owned();
    let done = wait_finished(&s, &root, &id).await;
    assert_eq!(done["statements"], 5, "{done}");

    for st in &alice {
        let res = s
            .req(
                Method::GET,
                &format!(
                    "/xapi/statements?statementId={}",
                    st["id"].as_str().unwrap()
                ),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
    }
    let res = s
        .req(Method::GET, &profile_path(ALICE))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = s.req(Method::GET, &state_path(ALICE)).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let res = s.req(Method::GET, &profile_path(BOB)).send().await.unwrap();
    assert_eq!(res.text().await.unwrap(), "bob's profile");
    assert_eq!(fetch_all(&s, &bob).await, bob_before);
    assert_eq!(bobs_aggregates(&s).await, aggregates_before);
    assert_eq!(s.clickhouse_count("1").await, 6);
    wait_values(&s, 6).await;
    let dump = clickhouse_dump(&s).await;
    assert!(!dump.contains(TAG), "ClickHouse still holds erased data");
    // Statement bodies live in the log only; ClickHouse keeps Bob's rows (their ids).
    for st in &bob_before {
        let id = st["id"].as_str().unwrap();
        assert!(dump.contains(id), "Bob's statement {id} left ClickHouse");
    }
    assert_eq!(
        files_with(&s.cfg.data_dir, TAG),
        Vec::<String>::new(),
        "files still holding erased data"
    );
    // The erasure is recorded in the log without the identifier: the node still starts and
    // serves Bob, and nothing comes back.
    let s = s.restart().await;
    assert_eq!(fetch_all(&s, &bob).await, bob_before);
    assert!(files_with(&s.cfg.data_dir, TAG).is_empty());
}

/// Waits until `query_values` counts `n` statements (it is written after `statements`).
async fn wait_values(s: &TestServer, n: u64) {
    let db = &s.cfg.clickhouse_database;
    let sql = format!("SELECT countMerge(statements) FROM {db}.query_values WHERE path = ''");
    for _ in 0..400 {
        if clickhouse(s, &sql).await.trim() == n.to_string() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("query_values never counted {n} statements");
}

async fn fetch_all(s: &TestServer, list: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    for st in list {
        let id = st["id"].as_str().unwrap();
        out.push(
            s.get_json(&format!("/xapi/statements?statementId={id}"))
                .await,
        );
    }
    out
}
