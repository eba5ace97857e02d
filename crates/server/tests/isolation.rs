//! The isolation matrix: every xAPI endpoint and every admin endpoint (taken from the OpenAPI
//! document, so a new route cannot escape the matrix) is called with credentials of another
//! store, of another organisation, with each insufficient scope and with each insufficient role.
//! Each call must be refused or see nothing, and no answer may carry the data of store A1 —
//! whose every name, document and statement holds the marker `world::MARK` — or any id of it.
mod common;

use common::Cred;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;

#[path = "isolation/admin_cases.rs"]
mod admin_cases;
#[path = "isolation/world.rs"]
mod world;

use admin_cases::admin_case;
use world::*;

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
            if path.starts_with("/api/v1/shared/") {
                // The share API needs no session: a link that does not exist is 404 for all.
                assert_eq!(st, 404, "{who}: {method} {path} → {text}");
                continue;
            }
            if path == "/api/v1/auth/options" {
                // How to sign in: the same public answer for everyone, nothing of a tenant.
                assert_eq!(st, 200, "{who}: {method} {path} → {text}");
                assert!(!text.contains(MARK));
                continue;
            }
            if path.starts_with("/api/v1/setup") {
                // The first run's set-up link: a link that is not valid is refused for everyone.
                assert!(
                    (400..500).contains(&st),
                    "{who}: {method} {path} → {st} {text}"
                );
                assert!(!text.contains(MARK));
                continue;
            }
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
