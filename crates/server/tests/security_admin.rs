//! Defects found by probing (issue 15), each a regression test: cookie-authenticated admin
//! writes from other origins or as `text/plain`, sessions that outlived a password change or a
//! disabled user, and statement rules that let a client void or probe others' statements.
mod common;

use common::{Cred, ROOT_EMAIL, ROOT_PASSWORD, TestServer, statement, uuid};
use reqwest::Method;
use serde_json::{Value, json};

const STORE: &str = "00000000-0000-0000-0000-000000000001";

/// A client of the default store with these scopes: (key, secret).
async fn client(s: &TestServer, root: &Cred, scopes: &[&str]) -> (String, String) {
    let c = s
        .ok(
            Method::POST,
            "/api/v1/clients",
            root,
            Some(json!({"store": STORE, "name": scopes.join(" "), "scopes": scopes})),
            201,
        )
        .await;
    (
        c["client"]["key"].as_str().unwrap().to_owned(),
        c["secret"].as_str().unwrap().to_owned(),
    )
}

/// A client's secret could be rotated by any web page the administrator visited: a form
/// posting `text/plain` from another origin carried the session cookie.
#[tokio::test]
async fn cookie_writes_need_the_own_origin_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = common::test_config(dir.path());
    cfg.admin_allowed_origins = vec!["https://admin.example.org".into()];
    let s = TestServer::start_with_root_cfg(cfg, dir).await;
    let sid = s.login(ROOT_EMAIL, ROOT_PASSWORD).await;
    let root = Cred::Session(sid.clone());
    let c = s
        .ok(
            Method::POST,
            "/api/v1/clients",
            &root,
            Some(json!({"store": STORE, "name": "victim"})),
            201,
        )
        .await;
    let rotate = format!(
        "/api/v1/clients/{}/rotate",
        c["client"]["id"].as_str().unwrap()
    );
    let cookie_req = |origin: Option<&str>| {
        let mut r = s
            .http
            .post(format!("{}{rotate}", s.base))
            .header("cookie", format!("cairn_session={sid}"));
        if let Some(o) = origin {
            r = r.header("origin", o);
        }
        r
    };
    let send = |r: reqwest::RequestBuilder| async move {
        let res = r.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json::<Value>().await.unwrap_or(Value::Null))
    };
    // The attack: a foreign page's form, text/plain.
    let (st, body) = send(
        cookie_req(Some("https://evil.example.com"))
            .header("content-type", "text/plain")
            .body("x=1"),
    )
    .await;
    assert_eq!(st, 403, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("origin")
    );
    let (st, _) = send(cookie_req(Some("null"))).await;
    assert_eq!(st, 403, "an opaque origin");
    let (st, _) = send(cookie_req(None)).await;
    assert_eq!(st, 403, "no Origin at all");
    let (st, _) = send(cookie_req(None).header("referer", "https://evil.example.com/page")).await;
    assert_eq!(st, 403, "a foreign Referer");
    // The own origin, but a body that is not JSON.
    let (st, body) = send(
        cookie_req(Some(&s.base))
            .header("content-type", "text/plain")
            .body("x=1"),
    )
    .await;
    assert_eq!(st, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("application/json")
    );
    // What the web app sends: its own origin, no body or a JSON one.
    let (st, body) = send(cookie_req(Some(&s.base))).await;
    assert_eq!(st, 200, "{body}");
    let (st, _) = send(cookie_req(None).header("referer", format!("{}/clients", s.base))).await;
    assert_eq!(st, 200, "the own origin as Referer");
    let (st, _) = send(cookie_req(Some("https://admin.example.org"))).await;
    assert_eq!(st, 200, "an origin of admin_allowed_origins");
    // Reads are not writes; tokens are not sent by browsers on their own.
    let (st, _) = send(
        s.http
            .get(format!("{}/api/v1/me", s.base))
            .header("cookie", format!("cairn_session={sid}"))
            .header("origin", "https://evil.example.com"),
    )
    .await;
    assert_eq!(st, 200);
    let t = s
        .ok(
            Method::POST,
            "/api/v1/me/tokens",
            &root,
            Some(json!({"name": "ci"})),
            201,
        )
        .await;
    let (st, _) = send(
        s.http
            .post(format!("{}{rotate}", s.base))
            .bearer_auth(t["secret"].as_str().unwrap())
            .header("origin", "https://evil.example.com"),
    )
    .await;
    assert_eq!(st, 200, "bearer tokens are not checked");
    s.stop().await;
}

/// Sessions survived a password change, and a disabled user's sessions came back when the
/// user was enabled again.
#[tokio::test]
async fn sessions_end_on_password_change_and_disable() {
    let s = TestServer::start_with_root().await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let (uid, token) = s.user_with_token(&root, "ann@example.com").await;
    let user = format!("/api/v1/users/{uid}");
    let me = |c: Cred| {
        let s = &s;
        async move { s.call(Method::GET, "/api/v1/me", &c, None).await.0 }
    };
    let first = Cred::Session(s.login("ann@example.com", "a long password").await);
    let second = Cred::Session(s.login("ann@example.com", "a long password").await);
    // Ann changes her own password in one session: both end.
    s.ok(
        Method::PATCH,
        &user,
        &first,
        Some(json!({"password": "another long password"})),
        200,
    )
    .await;
    assert_eq!(me(first).await, 401);
    assert_eq!(me(second).await, 401);
    assert_eq!(me(token.clone()).await, 200, "personal tokens are kept");
    let third = Cred::Session(s.login("ann@example.com", "another long password").await);
    assert_eq!(me(third.clone()).await, 200);
    s.ok(
        Method::PATCH,
        &user,
        &root,
        Some(json!({"disabled": true})),
        200,
    )
    .await;
    assert_eq!(me(third.clone()).await, 401);
    assert_eq!(
        me(token.clone()).await,
        401,
        "a disabled user's token does not work"
    );
    s.ok(
        Method::PATCH,
        &user,
        &root,
        Some(json!({"disabled": false})),
        200,
    )
    .await;
    assert_eq!(me(third).await, 401, "ended sessions stay ended");
    assert_eq!(me(token).await, 200);
    let fourth = Cred::Session(s.login("ann@example.com", "another long password").await);
    assert_eq!(me(fourth).await, 200);
    assert_eq!(me(root).await, 200, "other users' sessions are untouched");
    s.stop().await;
}

/// A `statements/write`-only client could void any statement, and a client that cannot read a
/// statement learned from 204 versus 409 whether a statement with given contents exists.
#[tokio::test]
async fn clients_void_only_their_own_and_learn_nothing_of_others() {
    let s = TestServer::start_with_root().await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let (ak, asec) = client(&s, &root, &["statements/write", "statements/read/mine"]).await;
    let (wk, wsec) = client(&s, &root, &["statements/write"]).await;
    let (rk, rsec) = client(&s, &root, &["statements/write", "statements/read"]).await;
    let put = |k: &str, sec: &str, id: &str, body: &Value| {
        s.xapi(
            Method::PUT,
            &format!("/xapi/statements?statementId={id}"),
            k,
            sec,
        )
        .json(body)
    };
    let send = |r: reqwest::RequestBuilder| async move {
        let res = r.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.text().await.unwrap())
    };
    let voiding = |target: &str| {
        json!({"actor": {"mbox": "mailto:admin@example.com"},
               "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
               "object": {"objectType": "StatementRef", "id": target}})
    };
    // A's statement.
    let a_id = uuid();
    let a_st = statement("http://example.com/verbs/did", "http://example.com/a");
    assert_eq!(send(put(&ak, &asec, &a_id, &a_st)).await.0, 204);

    // The write-only client cannot void it, nor an id nobody holds: the same answer.
    let (st, body) = send(
        s.xapi(Method::POST, "/xapi/statements", &wk, &wsec)
            .json(&voiding(&a_id)),
    )
    .await;
    assert_eq!(st, 403, "{body}");
    let (st2, body2) = send(
        s.xapi(Method::POST, "/xapi/statements", &wk, &wsec)
            .json(&voiding(&uuid())),
    )
    .await;
    assert_eq!(st2, 403, "{body2}");
    // Its own statement it voids.
    let w_id = uuid();
    assert_eq!(send(put(&wk, &wsec, &w_id, &a_st)).await.0, 204);
    let (st, body) = send(
        s.xapi(Method::POST, "/xapi/statements", &wk, &wsec)
            .json(&voiding(&w_id)),
    )
    .await;
    assert_eq!(st, 200, "{body}");

    // Another client that cannot read A's statement: the same 409 whatever it sends.
    let same = send(put(&wk, &wsec, &a_id, &a_st)).await;
    let other = send(put(
        &wk,
        &wsec,
        &a_id,
        &statement("http://example.com/verbs/other", "http://example.com/b"),
    ))
    .await;
    assert_eq!(same.0, 409, "{}", same.1);
    assert_eq!(other.0, 409, "{}", other.1);
    assert_eq!(
        serde_json::from_str::<Value>(&same.1).unwrap(),
        serde_json::from_str::<Value>(&other.1).unwrap(),
        "nothing tells the two apart"
    );
    // A itself re-sending its statement: the spec's no-op; different contents: 409.
    assert_eq!(send(put(&ak, &asec, &a_id, &a_st)).await.0, 204);
    // A client reading every statement keeps the spec's rules, and voids any statement.
    assert_eq!(send(put(&rk, &rsec, &a_id, &a_st)).await.0, 204);
    let (st, body) = send(
        s.xapi(Method::POST, "/xapi/statements", &rk, &rsec)
            .json(&voiding(&a_id)),
    )
    .await;
    assert_eq!(st, 200, "{body}");
    let res = s
        .req(
            Method::GET,
            &format!("/xapi/statements?voidedStatementId={a_id}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "voided by the reading client");
    s.stop().await;
}
