//! Erasure of a whole persona (`{"persona": …, "store": …}`), and an agent's erasure taking its
//! identifier out of the persona that lists it: once finished, no byte of the erased
//! identifiers, of their statements or of the erased persona is in any file of the data
//! directory nor in any ClickHouse table; another persona's data is unchanged, and the stored
//! personas are still exactly what the log's persona events replay to.
mod common;

use common::erased::{clickhouse, clickhouse_dump, files_with, wait_finished};

use common::{Cred, ROOT_EMAIL, ROOT_PASSWORD, TestServer, uuid};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

/// Every erased byte contains this, and nothing else does.
const TAG: &str = "zqpers";
const STORE: uuid::Uuid = cairn_core::StoreId::DEFAULT.0;

fn mbox(who: &str) -> String {
    format!("mailto:{who}@example.com")
}

fn stmt(who: &str, response: &str) -> Value {
    json!({
        "id": uuid(),
        "actor": {"objectType": "Agent", "mbox": mbox(who)},
        "verb": {"id": "http://example.com/verbs/did", "display": {"en-US": "did"}},
        "object": {"objectType": "Activity", "id": "http://example.com/act/1"},
        "result": {"response": response},
    })
}
/// The current persona of an identifier as analytics join it (`''`: none).
async fn linked(s: &TestServer, ifi: &str) -> String {
    let db = &s.cfg.clickhouse_database;
    clickhouse(
        s,
        &format!(
            "SELECT argMax(persona, seq) FROM {db}.persona_identifiers FINAL \
             WHERE ifi = '{ifi}' FORMAT TSV"
        ),
    )
    .await
    .trim()
    .to_owned()
}

async fn wait_linked(s: &TestServer, ifi: &str, persona: &str) {
    for _ in 0..400 {
        if linked(s, ifi).await == persona {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{ifi} never linked to {persona:?}");
}

async fn erase(s: &TestServer, cred: &Cred, body: Value) -> Value {
    let started = s
        .ok(Method::POST, "/api/v1/erasures", cred, Some(body), 202)
        .await;
    let id = started["id"].as_str().unwrap().to_owned();
    wait_finished(s, cred, &id).await
}

#[tokio::test]
async fn erasing_a_persona_leaves_nothing_of_it_and_everything_else() {
    let s = TestServer::start_with_root().await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let zed = [format!("{TAG}.zed1"), format!("{TAG}.zed2")];
    let mia_erased = format!("{TAG}.mia");
    let mut statements = Vec::new();
    for who in zed.iter().chain([&mia_erased]) {
        statements.push(stmt(who, &format!("{TAG} answer {}", uuid())));
    }
    let others: Vec<Value> = ["pat1", "pat2", "mia2"]
        .iter()
        .map(|w| stmt(w, &format!("{w} answer")))
        .collect();
    for st in statements.iter().chain(&others) {
        assert_eq!(s.post(st.clone()).await.status(), 200);
    }
    s.wait_projected("1", 6).await;

    let path = format!("/api/v1/stores/{STORE}/personas");
    let create = |name: String, who: &[&str]| {
        json!({"name": name, "attributes": {"note": format!("{name} notes")},
               "identifiers": who.iter().map(|w| json!({"mbox": mbox(w)})).collect::<Vec<_>>()})
    };
    let mk = |body: Value| {
        let s = &s;
        let root = &root;
        let path = &path;
        async move {
            let v = s.ok(Method::POST, path, root, Some(body), 201).await;
            v["id"].as_str().unwrap().to_owned()
        }
    };
    // Zed is made of two personas merged, so the erasure meets a merge in the history.
    let zed_id = mk(create(format!("{TAG} Zed"), &[&zed[0]])).await;
    let zed_b = mk(create(format!("{TAG} Zed B"), &[&zed[1]])).await;
    s.ok(
        Method::POST,
        &format!("{path}/{zed_id}/merge"),
        &root,
        Some(json!({"from": zed_b})),
        200,
    )
    .await;
    let pat_id = mk(create("Pat".into(), &["pat1", "pat2"])).await;
    let mia_id = mk(create("Mia".into(), &[&mia_erased, "mia2"])).await;
    let ifi = |w: &str| format!("mbox:{}", mbox(w));
    wait_linked(&s, &ifi("mia2"), &mia_id).await;
    wait_linked(&s, &ifi(&zed[1]), &zed_id).await;
    assert!(clickhouse_dump(&s).await.contains(TAG), "the search works");
    assert!(!files_with(&s.cfg.data_dir, TAG).is_empty());
    let pat_before = s
        .ok(Method::GET, &format!("{path}/{pat_id}"), &root, None, 200)
        .await;
    let db = &s.cfg.clickhouse_database;
    let pat_rows_sql = format!(
        "SELECT ifi, persona, seq FROM {db}.persona_identifiers FINAL \
         WHERE persona = '{pat_id}' ORDER BY ifi FORMAT TSV"
    );
    let pat_rows = clickhouse(&s, &pat_rows_sql).await;
    assert_eq!(pat_rows.lines().count(), 2);

    // A persona belongs to one store; one person at a time; an unknown persona is not found.
    for bad in [
        json!({"persona": zed_id, "organisation": uuid()}),
        json!({"persona": zed_id, "agent": {"mbox": mbox("pat1")}, "store": STORE}),
        json!({"store": STORE}),
    ] {
        let (code, v) = s
            .call(Method::POST, "/api/v1/erasures", &root, Some(bad))
            .await;
        assert_eq!(code, 400, "{v}");
    }
    let (code, _) = s
        .call(
            Method::POST,
            "/api/v1/erasures",
            &root,
            Some(json!({"persona": uuid(), "store": STORE})),
        )
        .await;
    assert_eq!(code, 404);

    // The whole persona: both identifiers' statements, and the persona.
    let done = erase(&s, &root, json!({"persona": zed_id, "store": STORE})).await;
    assert_eq!(done["statements"], 2, "{done}");
    s.ok(Method::GET, &format!("{path}/{zed_id}"), &root, None, 404)
        .await;
    // One agent of Mia: Mia keeps her other identifier.
    let done = erase(
        &s,
        &root,
        json!({"agent": {"mbox": mbox(&mia_erased)}, "store": STORE}),
    )
    .await;
    assert_eq!(done["statements"], 1, "{done}");
    let mia = s
        .ok(Method::GET, &format!("{path}/{mia_id}"), &root, None, 200)
        .await;
    assert_eq!(mia["name"], "Mia");
    assert_eq!(mia["identifiers"], json!([{"mbox": mbox("mia2")}]));
    assert_eq!(linked(&s, &ifi("mia2")).await, mia_id);

    for st in &statements {
        let id = st["id"].as_str().unwrap();
        let res = s
            .req(Method::GET, &format!("/xapi/statements?statementId={id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
    }
    let pat_after = s
        .ok(Method::GET, &format!("{path}/{pat_id}"), &root, None, 200)
        .await;
    assert_eq!(pat_after, pat_before);
    assert_eq!(clickhouse(&s, &pat_rows_sql).await, pat_rows);
    assert_eq!(s.clickhouse_count("1").await, 3);
    assert!(
        !clickhouse_dump(&s).await.contains(TAG),
        "ClickHouse still holds erased data"
    );
    assert_eq!(
        files_with(&s.cfg.data_dir, TAG),
        Vec::<String>::new(),
        "files still holding erased data"
    );

    // The stored personas are what the rewritten history replays to.
    let (cfg, dir) = s.stop().await;
    let log = cairn_server::app::open_store(&cfg).unwrap();
    let loaded = cairn_core::personas::Personas::load(&*log)
        .unwrap()
        .read()
        .clone();
    let replayed = cairn_core::personas::Personas::replay(&*log).unwrap();
    assert_eq!(loaded, replayed);
    assert_eq!(loaded.len(), 2, "Pat and Mia");
    drop(log);
    drop(dir);
}
