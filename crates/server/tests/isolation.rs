//! The isolation matrix: every xAPI endpoint and every admin endpoint (taken from the OpenAPI
//! document, so a new route cannot escape the matrix) is called with credentials of another
//! store, of another organisation, with each insufficient scope and with each insufficient role.
//! Each call must be refused or see nothing, and no answer may carry the data of store A1 —
//! whose every name, document and statement holds the marker below — or any id of it.
mod common;

use common::{Cred, ROOT_EMAIL, ROOT_PASSWORD, TestServer};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;

const MARK: &str = "SECRETA";
const AGENT: &str = r#"{"objectType":"Agent","mbox":"mailto:learner@example.com"}"#;
const ACT: &str = "http://example.com/SECRETA/activity";

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

struct World {
    s: TestServer,
    root: Cred,
    org_a: String,
    store_a1: String,
    /// key, secret, id of A1's all-scope client.
    a1: (String, String, String),
    statement_a1: String,
    /// scope → (key, secret) of a client of A1 with only that scope.
    scoped: Vec<(String, (String, String))>,
    other_store: (String, String),
    other_org: (String, String),
    owner_b: Cred,
    viewer_a: (String, Cred),
    analyst_a: Cred,
    owner_a: (String, Cred),
    owner_a_token_id: String,
}

async fn client(
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

async fn world() -> World {
    let s = TestServer::start_with_root().await;
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
    World {
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

/// Every xAPI request: (method, path, body, the scopes that allow it).
fn xapi_cases(w: &World) -> Vec<(Method, String, Option<Value>, &'static [&'static str])> {
    const READ_ST: &[&str] = &["all", "all/read", "statements/read", "statements/read/mine"];
    const WRITE_ST: &[&str] = &["all", "statements/write"];
    const READ_STATE: &[&str] = &["all", "all/read", "state"];
    const WRITE_STATE: &[&str] = &["all", "state"];
    const READ_PROF: &[&str] = &["all", "all/read", "profile"];
    const WRITE_PROF: &[&str] = &["all", "profile"];
    const DEFS: &[&str] = &["all", "all/read", "statements/read", "define"];
    let sid = &w.statement_a1;
    let state = format!(
        "/xapi/activities/state?activityId={}&agent={}",
        enc(ACT),
        enc(AGENT)
    );
    let aprof = format!("/xapi/activities/profile?activityId={}", enc(ACT));
    let gprof = format!("/xapi/agents/profile?agent={}", enc(AGENT));
    let st = json!({"actor": {"mbox": "mailto:x@example.com"}, "verb": {"id": "http://example.com/v"}, "object": {"id": "http://example.com/o"}});
    let doc = json!({"w": 1});
    vec![
        (
            Method::GET,
            format!("/xapi/statements?statementId={sid}"),
            None,
            READ_ST,
        ),
        (
            Method::GET,
            format!("/xapi/statements?voidedStatementId={sid}"),
            None,
            READ_ST,
        ),
        (
            Method::GET,
            format!("/xapi/statements?activity={}", enc(ACT)),
            None,
            READ_ST,
        ),
        (Method::GET, "/xapi/statements".into(), None, READ_ST),
        (Method::HEAD, "/xapi/statements".into(), None, READ_ST),
        (
            Method::PUT,
            format!("/xapi/statements?statementId={}", common::uuid()),
            Some(st.clone()),
            WRITE_ST,
        ),
        (Method::POST, "/xapi/statements".into(), Some(st), WRITE_ST),
        (Method::GET, format!("{state}&stateId=s"), None, READ_STATE),
        (Method::GET, state.clone(), None, READ_STATE),
        (
            Method::PUT,
            format!("{state}&stateId=w"),
            Some(doc.clone()),
            WRITE_STATE,
        ),
        (
            Method::POST,
            format!("{state}&stateId=w"),
            Some(doc.clone()),
            WRITE_STATE,
        ),
        (
            Method::DELETE,
            format!("{state}&stateId=w"),
            None,
            WRITE_STATE,
        ),
        (Method::GET, format!("{aprof}&profileId=p"), None, READ_PROF),
        (Method::GET, aprof.clone(), None, READ_PROF),
        (
            Method::PUT,
            format!("{aprof}&profileId=w"),
            Some(doc.clone()),
            WRITE_PROF,
        ),
        (
            Method::POST,
            format!("{aprof}&profileId=w"),
            Some(doc.clone()),
            WRITE_PROF,
        ),
        (
            Method::DELETE,
            format!("{aprof}&profileId=w"),
            None,
            WRITE_PROF,
        ),
        (Method::GET, format!("{gprof}&profileId=p"), None, READ_PROF),
        (Method::GET, gprof.clone(), None, READ_PROF),
        (
            Method::PUT,
            format!("{gprof}&profileId=w"),
            Some(doc.clone()),
            WRITE_PROF,
        ),
        (
            Method::POST,
            format!("{gprof}&profileId=w"),
            Some(doc),
            WRITE_PROF,
        ),
        (
            Method::DELETE,
            format!("{gprof}&profileId=w"),
            None,
            WRITE_PROF,
        ),
        (
            Method::GET,
            format!("/xapi/activities?activityId={}", enc(ACT)),
            None,
            DEFS,
        ),
        (
            Method::GET,
            format!("/xapi/agents?agent={}", enc(AGENT)),
            None,
            DEFS,
        ),
    ]
}

/// Calls an xAPI endpoint; the answer's text has the requested activity id (which a response
/// may echo) taken out, so that only A1's data can carry the marker.
async fn xapi_call(
    w: &World,
    m: &Method,
    path: &str,
    body: &Option<Value>,
    key: &str,
    secret: &str,
) -> (u16, String) {
    let mut r = w.s.xapi(m.clone(), path, key, secret);
    if let Some(b) = body {
        r = r.json(b);
    }
    if *m == Method::PUT || *m == Method::POST {
        r = r.header("If-None-Match", "*");
        if path.contains("/statements") {
            r = r.header("If-None-Match", "\"x\"");
        }
    }
    let res = r.send().await.unwrap();
    (
        res.status().as_u16(),
        res.text().await.unwrap().replace(ACT, "<act>"),
    )
}

#[tokio::test]
async fn xapi_isolation_matrix() {
    let w = world().await;
    let cases = xapi_cases(&w);
    let outsiders = [
        ("other store", w.other_store.clone()),
        ("other organisation", w.other_org.clone()),
    ];
    for (m, path, body, allowed) in &cases {
        // Another store's or organisation's client (all scopes): its own, empty, store.
        for (who, (k, sec)) in &outsiders {
            let (st, text) = xapi_call(&w, m, path, body, k, sec).await;
            let write = *m != Method::GET && *m != Method::HEAD;
            // A write lands in the outsider's own store (412: its own earlier write there).
            assert!(
                matches!(st, 200 | 204 | 404) || (write && st == 412),
                "{who}: {m} {path} → {st} {text}"
            );
            assert!(
                !text.contains(MARK) && !text.contains(&w.statement_a1),
                "{who}: {m} {path} leaked: {text}"
            );
            if path.contains(&format!("statementId={}", w.statement_a1))
                || path.ends_with("stateId=s")
                || path.ends_with("profileId=p")
            {
                assert_eq!(st, 404, "{who}: {m} {path}");
            }
        }
        // Each scope of A1's own clients: refused without a leak unless the scope allows it.
        for (scope, (k, sec)) in &w.scoped {
            let (st, text) = xapi_call(&w, m, path, body, k, sec).await;
            if allowed.contains(&scope.as_str()) {
                assert!(
                    st < 400 || st == 404 || st == 412,
                    "{scope}: {m} {path} → {st} {text}"
                );
            } else {
                assert_eq!(st, 403, "{scope}: {m} {path} → {text}");
                assert!(!text.contains(MARK), "{scope}: {m} {path} leaked: {text}");
            }
        }
        // A right key with a wrong secret, a disabled-looking nonsense key: 401, nothing else.
        let (st, text) = xapi_call(&w, m, path, body, &w.a1.0, "wrong").await;
        assert_eq!(st, 401, "{m} {path}");
        assert!(!text.contains(MARK));
    }
    // statements/read/mine sees none of A1's statements (all written by the all-scope client).
    let (k, sec) = &w
        .scoped
        .iter()
        .find(|(s, _)| s == "statements/read/mine")
        .unwrap()
        .1;
    let (st, text) = xapi_call(&w, &Method::GET, "/xapi/statements", &None, k, sec).await;
    assert_eq!(st, 200);
    assert!(!text.contains(MARK), "{text}");
    // A1's data is intact after everything the outsiders wrote.
    for d in [
        "/xapi/activities/state?stateId=s",
        "/xapi/activities/profile?profileId=p",
        "/xapi/agents/profile?profileId=p",
    ] {
        let full = match d {
            x if x.contains("state") => format!(
                "/xapi/activities/state?activityId={}&agent={}&stateId=s",
                enc(ACT),
                enc(AGENT)
            ),
            x if x.contains("activities/profile") => format!(
                "/xapi/activities/profile?activityId={}&profileId=p",
                enc(ACT)
            ),
            _ => format!("/xapi/agents/profile?agent={}&profileId=p", enc(AGENT)),
        };
        let (st, text) = xapi_call(&w, &Method::GET, &full, &None, &w.a1.0, &w.a1.1).await;
        assert_eq!((st, text.contains(MARK)), (200, true), "{full}");
    }
    w.s.stop().await;
}

/// Concrete request for each documented admin operation: path, body, and whether it targets
/// organisation A (its entities or its people).
fn admin_case(w: &World, method: &str, path: &str) -> (String, Option<Value>, bool) {
    let (viewer_id, _) = &w.viewer_a;
    let (owner_id, _) = &w.owner_a;
    let s = |x: &str| x.to_owned();
    match (method, path) {
        ("post", "/api/v1/auth/login") => (
            s(path),
            Some(json!({"email": "owner-a@example.com", "password": "wrong password"})),
            false,
        ),
        ("post", "/api/v1/auth/logout") | ("get", "/api/v1/me") | ("get", "/api/v1/me/tokens") => {
            (s(path), None, false)
        }
        ("post", "/api/v1/me/tokens") => (s(path), Some(json!({"name": "mine"})), false),
        ("delete", "/api/v1/me/tokens/{id}") => (
            format!("/api/v1/me/tokens/{}", w.owner_a_token_id),
            None,
            true,
        ),
        ("get", "/api/v1/users") => (s(path), None, true),
        ("post", "/api/v1/users") => (
            s(path),
            Some(
                json!({"email": "evil@example.com", "password": "a long password", "site_admin": true}),
            ),
            true,
        ),
        (_, "/api/v1/users/{id}") => (
            format!("/api/v1/users/{owner_id}"),
            Some(json!({"password": "taken over!!"})),
            true,
        ),
        ("get", "/api/v1/organisations")
        | ("get", "/api/v1/stores")
        | ("get", "/api/v1/clients") => (s(path), None, true),
        ("post", "/api/v1/organisations") => (
            s(path),
            Some(json!({"name": "nested", "parent": w.org_a})),
            true,
        ),
        (_, "/api/v1/organisations/{id}") => (
            format!("/api/v1/organisations/{}", w.org_a),
            Some(json!({"name": "pwned"})),
            true,
        ),
        (_, "/api/v1/organisations/{id}/members") => (
            format!("/api/v1/organisations/{}/members", w.org_a),
            None,
            true,
        ),
        (_, "/api/v1/organisations/{id}/members/{user}") => (
            format!("/api/v1/organisations/{}/members/{viewer_id}", w.org_a),
            Some(json!({"role": "owner"})),
            true,
        ),
        ("post", "/api/v1/stores") => (
            s(path),
            Some(json!({"organisation": w.org_a, "name": "x"})),
            true,
        ),
        (_, "/api/v1/stores/{id}") => (
            format!("/api/v1/stores/{}", w.store_a1),
            Some(json!({"name": "pwned"})),
            true,
        ),
        ("post", "/api/v1/clients") => (
            s(path),
            Some(json!({"store": w.store_a1, "name": "x", "scopes": ["all"]})),
            true,
        ),
        (_, "/api/v1/clients/{id}") => (
            format!("/api/v1/clients/{}", w.a1.2),
            Some(json!({"disabled": true})),
            true,
        ),
        // Read-only (viewer or more): an outsider's 404 is checked by the generic rules.
        ("post", "/api/v1/stores/{id}/aggregate") => (
            format!("/api/v1/stores/{}/aggregate", w.store_a1),
            Some(json!({"group_by": ["verb", "actor"]})),
            false,
        ),
        ("get", "/api/v1/stores/{id}/values") => (
            format!("/api/v1/stores/{}/values?path=verb", w.store_a1),
            None,
            false,
        ),
        ("post", "/api/v1/stores/{id}/statements/query") => (
            format!("/api/v1/stores/{}/statements/query", w.store_a1),
            Some(json!({})),
            false,
        ),
        ("post", "/api/v1/stores/{id}/statements/export") => (
            format!("/api/v1/stores/{}/statements/export", w.store_a1),
            Some(json!({})),
            false,
        ),
        // Personas: viewers read, analysts change (so A's analyst may succeed: not `targets_a`);
        // personas_api.rs checks each role's answer. Persona ids here exist nowhere (404).
        ("get", "/api/v1/stores/{id}/personas") => (
            format!("/api/v1/stores/{}/personas", w.store_a1),
            None,
            false,
        ),
        ("post", "/api/v1/stores/{id}/personas") => (
            format!("/api/v1/stores/{}/personas", w.store_a1),
            Some(json!({"name": "p", "identifiers": [{"mbox": "mailto:p@example.com"}]})),
            false,
        ),
        ("get", "/api/v1/stores/{id}/personas/lookup") => (
            format!(
                "/api/v1/stores/{}/personas/lookup?identifier={}",
                w.store_a1,
                enc(r#"{"mbox":"mailto:learner@example.com"}"#)
            ),
            None,
            false,
        ),
        ("post", "/api/v1/stores/{id}/personas/import") => (
            format!("/api/v1/stores/{}/personas/import", w.store_a1),
            None,
            false,
        ),
        (m, p) if p.starts_with("/api/v1/stores/{id}/personas/{persona}") => {
            let rest = p.trim_start_matches("/api/v1/stores/{id}/personas/{persona}");
            let ident = json!({"mbox": "mailto:p@example.com"});
            let body = match (m, rest) {
                ("patch", "") => Some(json!({"name": "renamed"})),
                (_, "") => None,
                (_, "/merge") => Some(json!({"from": uuid::Uuid::new_v4()})),
                (_, "/split") => Some(json!({"name": "n", "identifiers": [ident]})),
                _ => Some(json!({"identifier": ident})),
            };
            let url = format!(
                "/api/v1/stores/{}/personas/{}{rest}",
                w.store_a1,
                uuid::Uuid::new_v4()
            );
            (url, body, false)
        }
        (_, "/api/v1/clients/{id}/rotate") => {
            (format!("/api/v1/clients/{}/rotate", w.a1.2), None, true)
        }
        other => panic!("the isolation matrix has no case for {other:?}: add one"),
    }
}

#[tokio::test]
async fn admin_isolation_matrix() {
    let w = world().await;
    let doc: Value =
        w.s.http
            .get(format!("{}/api/v1/openapi.json", w.s.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            ops.insert((method.clone(), path.clone()));
        }
    }
    assert!(ops.len() >= 28, "{ops:?}");
    let a_ids = [
        &w.org_a,
        &w.store_a1,
        &w.a1.0,
        &w.a1.2,
        &w.owner_a.0,
        &w.owner_a_token_id,
    ];
    let creds: Vec<(&str, Cred)> = vec![
        ("anonymous", Cred::None),
        (
            "an xAPI client",
            Cred::Basic(w.a1.0.clone(), w.a1.1.clone()),
        ),
        ("owner of another organisation", w.owner_b.clone()),
        ("viewer of A", w.viewer_a.1.clone()),
        ("analyst of A", w.analyst_a.clone()),
    ];
    for (method, path) in &ops {
        let (url, body, targets_a) = admin_case(&w, method, path);
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let public = path.starts_with("/api/v1/auth/");
        for (who, cred) in &creds {
            let (st, v) = w.s.call(m.clone(), &url, cred, body.clone()).await;
            let text = v.to_string();
            if public {
                assert!(
                    matches!(st, 204 | 401),
                    "{who}: {method} {path} → {st} {text}"
                );
                continue;
            }
            if matches!(cred, Cred::None | Cred::Basic(..)) {
                assert_eq!(st, 401, "{who}: {method} {path} → {text}");
                assert!(!text.contains(MARK));
                continue;
            }
            let outsider = *who == "owner of another organisation";
            if targets_a && m != Method::GET {
                assert!(
                    matches!(st, 403 | 404),
                    "{who}: {method} {path} → {st} {text}"
                );
            }
            if outsider && targets_a && path.contains('{') {
                assert_eq!(
                    st, 404,
                    "{who}: {method} {path} must not hint at existence: {text}"
                );
            }
            if outsider
                || path.contains("clients")
                || path.contains("members")
                || path.contains("users")
                || path.contains("tokens")
            {
                assert!(
                    !text.contains(MARK),
                    "{who}: {method} {path} leaked: {text}"
                );
                for id in a_ids {
                    assert!(
                        !text.contains(id.as_str()),
                        "{who}: {method} {path} leaked an id: {text}"
                    );
                }
            }
            assert!(!text.contains(&w.a1.1), "a secret leaked");
        }
    }
    // Nothing of A changed.
    let root = &w.root;
    let org =
        w.s.ok(
            Method::GET,
            &format!("/api/v1/organisations/{}", w.org_a),
            root,
            None,
            200,
        )
        .await;
    assert_eq!(org["name"], format!("{MARK} org"));
    let store =
        w.s.ok(
            Method::GET,
            &format!("/api/v1/stores/{}", w.store_a1),
            root,
            None,
            200,
        )
        .await;
    assert_eq!(store["name"], format!("{MARK} store 1"));
    let c =
        w.s.ok(
            Method::GET,
            &format!("/api/v1/clients/{}", w.a1.2),
            root,
            None,
            200,
        )
        .await;
    assert_eq!(c["disabled"], false);
    let r =
        w.s.xapi(Method::GET, "/xapi/statements", &w.a1.0, &w.a1.1)
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), 200, "secret not rotated");
    let members =
        w.s.ok(
            Method::GET,
            &format!("/api/v1/organisations/{}/members", w.org_a),
            root,
            None,
            200,
        )
        .await;
    let viewer = members["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user"] == w.viewer_a.0.as_str())
        .unwrap();
    assert_eq!(viewer["role"], "viewer", "no escalation");
    let stores =
        w.s.ok(
            Method::GET,
            &format!("/api/v1/stores?organisation={}", w.org_a),
            root,
            None,
            200,
        )
        .await;
    assert_eq!(
        stores["items"].as_array().unwrap().len(),
        2,
        "no store created in A"
    );
    assert_eq!(
        w.s.call(Method::GET, "/api/v1/me", &w.owner_a.1, None)
            .await
            .0,
        200,
        "owner A's token not revoked"
    );
    let users =
        w.s.ok(Method::GET, "/api/v1/users?email=evil", root, None, 200)
            .await;
    assert!(users["items"].as_array().unwrap().is_empty());
    w.s.stop().await;
}
