//! The admin API over HTTP against a running node: login and sessions, personal tokens, every
//! entity's create/list/update/delete, paging and filtering, JSON errors, client scopes,
//! disabling and rotation (the rest is in `tenancy_api_more.rs`).
mod common;

use common::{Cred, ROOT_EMAIL, ROOT_PASSWORD, TestServer, statement};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn login_sets_a_safe_cookie_and_sessions_end_at_logout() {
    let s = TestServer::start_with_root().await;
    let res = s
        .http
        .post(format!("{}/api/v1/auth/login", s.base))
        .json(&json!({"email": ROOT_EMAIL, "password": ROOT_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "no TLS configured: {cookie}");
    let me: serde_json::Value = res.json().await.unwrap();
    assert_eq!(me["user"]["site_admin"], true);
    assert!(me["user"].get("password_hash").is_none());

    let (st, body) = s
        .call(
            Method::POST,
            "/api/v1/auth/login",
            &Cred::None,
            Some(json!({"email": ROOT_EMAIL, "password": "wrong password"})),
        )
        .await;
    assert_eq!(st, 401);
    assert_eq!(body["error"]["code"], 401);
    let (st, _) = s
        .call(
            Method::POST,
            "/api/v1/auth/login",
            &Cred::None,
            Some(json!({"email": "nobody@example.com", "password": "whatever it is"})),
        )
        .await;
    assert_eq!(st, 401, "unknown and wrong look the same");

    let sid = s.login(ROOT_EMAIL, ROOT_PASSWORD).await;
    let session = Cred::Session(sid);
    s.ok(Method::GET, "/api/v1/me", &session, None, 200).await;
    s.ok(Method::POST, "/api/v1/auth/logout", &session, None, 204)
        .await;
    let (st, body) = s.call(Method::GET, "/api/v1/me", &session, None).await;
    assert_eq!(st, 401);
    assert!(body["error"]["message"].is_string());
    s.stop().await;
}

#[tokio::test]
async fn entities_crud_paging_filtering_and_errors() {
    let s = TestServer::start_with_root().await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    // Organisations, nested.
    let org = s
        .ok(
            Method::POST,
            "/api/v1/organisations",
            &root,
            Some(json!({"name": "Consortium"})),
            201,
        )
        .await;
    let org_id = org["id"].as_str().unwrap().to_owned();
    let child = s
        .ok(
            Method::POST,
            "/api/v1/organisations",
            &root,
            Some(json!({"name": "Member school", "parent": org_id})),
            201,
        )
        .await;
    let child_id = child["id"].as_str().unwrap().to_owned();
    let kids = s
        .ok(
            Method::GET,
            &format!("/api/v1/organisations?organisation={org_id}"),
            &root,
            None,
            200,
        )
        .await;
    assert_eq!(kids["items"].as_array().unwrap().len(), 1);
    let renamed = s
        .ok(
            Method::PATCH,
            &format!("/api/v1/organisations/{child_id}"),
            &root,
            Some(json!({"name": "School"})),
            200,
        )
        .await;
    assert_eq!(renamed["name"], "School");
    let (st, e) = s
        .call(
            Method::PATCH,
            &format!("/api/v1/organisations/{org_id}"),
            &root,
            Some(json!({"parent": child_id})),
        )
        .await;
    assert_eq!(st, 400, "no cycles: {e}");

    // Stores: paging over 5, filtering by organisation and name.
    for i in 0..5 {
        s.ok(
            Method::POST,
            "/api/v1/stores",
            &root,
            Some(json!({"organisation": child_id, "name": format!("store {i}")})),
            201,
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut path = format!("/api/v1/stores?organisation={child_id}&limit=2");
    loop {
        let p = s.ok(Method::GET, &path, &root, None, 200).await;
        for it in p["items"].as_array().unwrap() {
            seen.push(it["name"].as_str().unwrap().to_owned());
        }
        match p["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/stores?organisation={child_id}&limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(
        seen,
        (0..5).map(|i| format!("store {i}")).collect::<Vec<_>>()
    );
    let named = s
        .ok(
            Method::GET,
            "/api/v1/stores?name=STORE%203",
            &root,
            None,
            200,
        )
        .await;
    assert_eq!(named["items"].as_array().unwrap().len(), 1);
    let store_id = named["items"][0]["id"].as_str().unwrap().to_owned();

    // Clients: the secret is shown once; lists never show it.
    let c = s
        .ok(Method::POST, "/api/v1/clients", &root, Some(json!({"store": store_id, "name": "lms", "scopes": ["statements/write", "statements/read"]})), 201)
        .await;
    let (cid, key, secret) = (
        c["client"]["id"].as_str().unwrap().to_owned(),
        c["client"]["key"].as_str().unwrap().to_owned(),
        c["secret"].as_str().unwrap().to_owned(),
    );
    let listed = s
        .ok(
            Method::GET,
            &format!("/api/v1/clients?store={store_id}"),
            &root,
            None,
            200,
        )
        .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert!(!listed.to_string().contains(&secret));
    let res = s
        .xapi(Method::POST, "/xapi/statements", &key, &secret)
        .json(&statement("http://v/did", "http://a/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // Disabled: refused; enabled again: accepted; rotated: the old secret stops working.
    s.ok(
        Method::PATCH,
        &format!("/api/v1/clients/{cid}"),
        &root,
        Some(json!({"disabled": true})),
        200,
    )
    .await;
    let res = s
        .xapi(Method::GET, "/xapi/statements", &key, &secret)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    s.ok(
        Method::PATCH,
        &format!("/api/v1/clients/{cid}"),
        &root,
        Some(json!({"disabled": false})),
        200,
    )
    .await;
    assert_eq!(
        s.xapi(Method::GET, "/xapi/statements", &key, &secret)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let rotated = s
        .ok(
            Method::POST,
            &format!("/api/v1/clients/{cid}/rotate"),
            &root,
            None,
            200,
        )
        .await;
    let new_secret = rotated["secret"].as_str().unwrap();
    assert_eq!(
        s.xapi(Method::GET, "/xapi/statements", &key, &secret)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        s.xapi(Method::GET, "/xapi/statements", &key, new_secret)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let (st, e) = s
        .call(
            Method::PATCH,
            &format!("/api/v1/clients/{cid}"),
            &root,
            Some(json!({"scopes": ["everything"]})),
        )
        .await;
    assert_eq!(st, 400);
    assert!(e["error"]["message"].as_str().unwrap().contains("scope"));

    // Users and members.
    let (uid, token) = s.user_with_token(&root, "ada@example.com").await;
    let (st, _) = s
        .call(
            Method::GET,
            &format!("/api/v1/stores/{store_id}"),
            &token,
            None,
        )
        .await;
    assert_eq!(st, 404, "no role yet");
    s.ok(
        Method::PUT,
        &format!("/api/v1/organisations/{org_id}/members/{uid}"),
        &root,
        Some(json!({"role": "viewer"})),
        200,
    )
    .await;
    s.ok(
        Method::GET,
        &format!("/api/v1/stores/{store_id}"),
        &token,
        None,
        200,
    )
    .await;
    let (st, _) = s
        .call(
            Method::PATCH,
            &format!("/api/v1/stores/{store_id}"),
            &token,
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(st, 403, "viewer cannot rename");
    let members = s
        .ok(
            Method::GET,
            &format!("/api/v1/organisations/{org_id}/members"),
            &root,
            None,
            200,
        )
        .await;
    assert_eq!(members["items"][0]["role"], "viewer");
    let users = s
        .ok(Method::GET, "/api/v1/users?email=ada", &root, None, 200)
        .await;
    assert_eq!(users["items"].as_array().unwrap().len(), 1);
    s.ok(
        Method::PATCH,
        &format!("/api/v1/users/{uid}"),
        &token,
        Some(json!({"name": "Ada L."})),
        200,
    )
    .await;
    let (st, _) = s
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{uid}"),
            &token,
            Some(json!({"site_admin": true})),
        )
        .await;
    assert_eq!(st, 403, "no self-promotion");
    let tokens = s
        .ok(Method::GET, "/api/v1/me/tokens", &token, None, 200)
        .await;
    let tid = tokens["items"][0]["id"].as_str().unwrap().to_owned();
    s.ok(
        Method::DELETE,
        &format!("/api/v1/me/tokens/{tid}"),
        &token,
        None,
        204,
    )
    .await;
    assert_eq!(
        s.call(Method::GET, "/api/v1/me", &token, None).await.0,
        401,
        "revoked"
    );

    // Consistent JSON errors: bad JSON, unknown fields, bad ids, unknown routes.
    for (m, p, b) in [
        (
            Method::POST,
            "/api/v1/stores",
            Some(json!({"organisation": org_id})),
        ),
        (
            Method::POST,
            "/api/v1/stores",
            Some(json!({"organisation": org_id, "name": "x", "extra": 1})),
        ),
        (Method::GET, "/api/v1/stores/not-an-id", None),
        (Method::GET, "/api/v1/stores?limit=x", None),
    ] {
        let (st, e) = s.call(m, p, &root, b).await;
        assert_eq!(st, 400, "{p}: {e}");
        assert_eq!(e["error"]["code"], 400);
    }
    let (st, e) = s
        .call(Method::GET, "/api/v1/nothing-here", &root, None)
        .await;
    assert_eq!(
        (st, e["error"]["message"].as_str()),
        (404, Some("no such route"))
    );

    // Deleting: an organisation with stores cannot go; a store takes its clients.
    let (st, _) = s
        .call(
            Method::DELETE,
            &format!("/api/v1/organisations/{child_id}"),
            &root,
            None,
        )
        .await;
    assert_eq!(st, 409);
    s.ok(
        Method::DELETE,
        &format!("/api/v1/stores/{store_id}"),
        &root,
        None,
        204,
    )
    .await;
    assert_eq!(
        s.xapi(Method::GET, "/xapi/statements", &key, new_secret)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        s.call(Method::GET, &format!("/api/v1/clients/{cid}"), &root, None)
            .await
            .0,
        404
    );
    s.ok(
        Method::DELETE,
        &format!("/api/v1/users/{uid}"),
        &root,
        None,
        204,
    )
    .await;
    s.stop().await;
}
