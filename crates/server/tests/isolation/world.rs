//! The world of the isolation matrix: two organisations, stores, clients of every scope and
//! users of every role, with store A1's data all marked with [`MARK`].
use crate::common::{Cred, ROOT_EMAIL, ROOT_PASSWORD, TestServer};
use reqwest::Method;
use serde_json::{Value, json};

pub const MARK: &str = "SECRETA";
pub const AGENT: &str = r#"{"objectType":"Agent","mbox":"mailto:learner@example.com"}"#;
pub const ACT: &str = "http://example.com/SECRETA/activity";

pub fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub struct World {
    pub s: TestServer,
    pub root: Cred,
    pub org_a: String,
    pub store_a1: String,
    /// key, secret, id of A1's all-scope client.
    pub a1: (String, String, String),
    pub statement_a1: String,
    /// scope → (key, secret) of a client of A1 with only that scope.
    pub scoped: Vec<(String, (String, String))>,
    pub other_store: (String, String),
    pub other_org: (String, String),
    pub owner_b: Cred,
    pub viewer_a: (String, Cred),
    pub analyst_a: Cred,
    pub owner_a: (String, Cred),
    pub owner_a_token_id: String,
    /// A dashboard of A1 and its widget, named with the marker.
    pub dashboard_a1: (String, String),
}

pub async fn client(
    s: &TestServer,
    root: &Cred,
    store: &str,
    name: &str,
    scopes: Value,
) -> (String, String, String) {
    let c = s
        .ok(
            Method::POST,
            "/api/v1/clients",
            root,
            Some(json!({"store": store, "name": name, "scopes": scopes})),
            201,
        )
        .await;
    (
        c["client"]["key"].as_str().unwrap().into(),
        c["secret"].as_str().unwrap().into(),
        c["client"]["id"].as_str().unwrap().into(),
    )
}

pub async fn world() -> World {
    // The matrix tries a wrong secret on every endpoint: failed authentications are not
    // limited here (security_xapi.rs tests the limit).
    let s = {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = crate::common::test_config(dir.path());
        cfg.auth_failures_per_minute = 0;
        cfg.auth_failures_per_minute_address = 0;
        TestServer::start_with_root_cfg(cfg, dir).await
    };
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let id = |v: Value| v["id"].as_str().unwrap().to_owned();
    let org_a = id(s
        .ok(
            Method::POST,
            "/api/v1/organisations",
            &root,
            Some(json!({"name": format!("{MARK} org")})),
            201,
        )
        .await);
    let org_b = id(s
        .ok(
            Method::POST,
            "/api/v1/organisations",
            &root,
            Some(json!({"name": "B org"})),
            201,
        )
        .await);
    let mut stores = Vec::new();
    for (org, name) in [
        (&org_a, format!("{MARK} store 1")),
        (&org_a, "A2 store".into()),
        (&org_b, "B1 store".into()),
    ] {
        stores.push(id(s
            .ok(
                Method::POST,
                "/api/v1/stores",
                &root,
                Some(json!({"organisation": org, "name": name})),
                201,
            )
            .await));
    }
    let a1 = client(
        &s,
        &root,
        &stores[0],
        &format!("{MARK} client"),
        json!(["all"]),
    )
    .await;
    let a2 = client(&s, &root, &stores[1], "A2 client", json!(["all"])).await;
    let b1 = client(&s, &root, &stores[2], "B1 client", json!(["all"])).await;
    let mut scoped = Vec::new();
    for sc in [
        "statements/write",
        "statements/read",
        "statements/read/mine",
        "state",
        "define",
        "profile",
        "all/read",
    ] {
        let (k, sec, _) = client(&s, &root, &stores[0], &format!("{MARK} {sc}"), json!([sc])).await;
        scoped.push((sc.to_owned(), (k, sec)));
    }
    // A1's data, each piece carrying the marker.
    let st = json!({
        "actor": {"objectType": "Agent", "mbox": "mailto:learner@example.com"},
        "verb": {"id": "http://example.com/verbs/SECRETA", "display": {"en-US": MARK}},
        "object": {"objectType": "Activity", "id": ACT, "definition": {"name": {"en-US": MARK}}},
    });
    let ids: Vec<String> = s
        .xapi(Method::POST, "/xapi/statements", &a1.0, &a1.1)
        .json(&st)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let docs = [
        format!(
            "/xapi/activities/state?activityId={}&agent={}&stateId=s",
            enc(ACT),
            enc(AGENT)
        ),
        format!(
            "/xapi/activities/profile?activityId={}&profileId=p",
            enc(ACT)
        ),
        format!("/xapi/agents/profile?agent={}&profileId=p", enc(AGENT)),
    ];
    for d in &docs {
        let r = s
            .xapi(Method::PUT, d, &a1.0, &a1.1)
            .header("If-None-Match", "*")
            .json(&json!({MARK: 1}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204, "{d}: {}", r.text().await.unwrap());
    }
    // People.
    let mut people = Vec::new();
    for (email, org, role) in [
        ("owner-a@example.com", &org_a, "owner"),
        ("viewer-a@example.com", &org_a, "viewer"),
        ("analyst-a@example.com", &org_a, "analyst"),
        ("owner-b@example.com", &org_b, "owner"),
    ] {
        let (uid, tok) = s.user_with_token(&root, email).await;
        s.ok(
            Method::PUT,
            &format!("/api/v1/organisations/{org}/members/{uid}"),
            &root,
            Some(json!({"role": role})),
            200,
        )
        .await;
        people.push((uid, tok));
    }
    let owner_a_token_id = s
        .ok(Method::GET, "/api/v1/me/tokens", &people[0].1, None, 200)
        .await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let d = s
        .ok(
            Method::POST,
            &format!("/api/v1/stores/{}/dashboards", stores[0]),
            &root,
            Some(json!({"name": format!("{MARK} dashboard")})),
            201,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let w = s
        .ok(
            Method::POST,
            &format!("/api/v1/dashboards/{d}/widgets"),
            &root,
            Some(json!({"title": format!("{MARK} widget"), "type": "bar",
                "query": {"kind": "aggregate", "group_by": ["verb"]}})),
            201,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    World {
        dashboard_a1: (d, w),
        root,
        org_a,
        store_a1: stores[0].clone(),
        statement_a1: ids[0].clone(),
        scoped,
        other_store: (a2.0, a2.1),
        other_org: (b1.0, b1.1),
        owner_b: people[3].1.clone(),
        viewer_a: people[1].clone(),
        analyst_a: people[2].1.clone(),
        owner_a: people[0].clone(),
        owner_a_token_id,
        a1,
        s,
    }
}
