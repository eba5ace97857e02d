//! The admin API over HTTP against a running node: login and sessions, personal tokens, every
//! entity's create/list/update/delete, paging and filtering, JSON errors, client scopes,
//! disabling and rotation, `statements/read/mine`, the OpenAPI document, rate limits, and the
//! tenancy surviving a restart and equalling a replay of the log.
mod common;

use common::{Cred, ROOT_EMAIL, ROOT_PASSWORD, TestServer, statement, test_config};
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

#[tokio::test]
async fn read_mine_sees_only_its_own_statements_and_authority_is_the_client() {
    let s = TestServer::start_with_root().await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let store = s.ok(Method::GET, "/api/v1/stores", &root, None, 200).await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mk = |scopes: serde_json::Value| json!({"store": store, "name": "c", "scopes": scopes});
    let mine = s
        .ok(
            Method::POST,
            "/api/v1/clients",
            &root,
            Some(mk(json!(["statements/write", "statements/read/mine"]))),
            201,
        )
        .await;
    let (mk_, ms) = (
        mine["client"]["key"].as_str().unwrap(),
        mine["secret"].as_str().unwrap(),
    );
    // One statement by the default client, one by the "mine" client.
    assert_eq!(
        s.post(statement("http://v/other", "http://a/o"))
            .await
            .status(),
        200
    );
    let ids: Vec<String> = s
        .xapi(Method::POST, "/xapi/statements", mk_, ms)
        .json(&statement("http://v/mine", "http://a/m"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let other: serde_json::Value = s
        .get_json("/xapi/statements?verb=http%3A%2F%2Fv%2Fother")
        .await;
    let other_id = other["statements"][0]["id"].as_str().unwrap().to_owned();
    let page: serde_json::Value = s
        .xapi(Method::GET, "/xapi/statements", mk_, ms)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let got: Vec<&str> = page["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, vec![ids[0].as_str()]);
    assert_eq!(page["statements"][0]["authority"]["account"]["name"], mk_);
    let res = s
        .xapi(
            Method::GET,
            &format!("/xapi/statements?statementId={other_id}"),
            mk_,
            ms,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        404,
        "another client's statement does not exist for a mine-only client"
    );
    // After projection the same holds (ClickHouse answers the filter).
    s.wait_projected("1", 2).await;
    let page: serde_json::Value = s
        .xapi(Method::GET, "/xapi/statements?limit=1", mk_, ms)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["statements"].as_array().unwrap().len(), 1);
    assert_eq!(page["more"], "");
    s.stop().await;
}

#[tokio::test]
async fn openapi_document_is_served_and_lists_every_admin_route() {
    let s = TestServer::start_with_root().await;
    let doc: serde_json::Value = s
        .http
        .get(format!("{}/api/v1/openapi.json", s.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/organisations/{id}",
        "/api/v1/stores",
        "/api/v1/clients/{id}/rotate",
        "/api/v1/auth/login",
        "/api/v1/me/tokens/{id}",
    ] {
        assert!(paths.contains_key(p), "{p} documented");
    }
    // Every documented operation is routed: none answers 405 or the router's no-route 404.
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let nil = "00000000-0000-0000-0000-00000000abcd";
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let url = path.replace("{id}", nil).replace("{user}", nil);
            let (st, body) = s.call(m.clone(), &url, &root, Some(json!({}))).await;
            assert_ne!(st, 405, "{method} {path}");
            assert!(
                body["error"]["code"].is_number() || st < 300,
                "{method} {path}: {st} {body}"
            );
            assert_ne!(body["error"]["message"], "no such route", "{method} {path}");
        }
    }
    s.stop().await;
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = test_config(dir.path());
    cfg.rate_limit_client_per_second = 1;
    cfg.rate_limit_client_burst = 3;
    cfg.rate_limit_user_per_second = 1;
    cfg.rate_limit_user_burst = 3;
    cfg.login_attempts_per_minute = 3;
    let s = TestServer::start_with_root_cfg(cfg, dir).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let res = s.req(Method::GET, "/xapi/statements").send().await.unwrap();
        statuses.push(res.status().as_u16());
        if res.status() == 429 {
            assert!(
                res.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse::<u64>()
                    .unwrap()
                    >= 1
            );
        }
    }
    assert_eq!(&statuses[..3], &[200, 200, 200]);
    assert_eq!(statuses[4], 429);
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let mut last = 0;
    for _ in 0..5 {
        last = s.call(Method::GET, "/api/v1/me", &root, None).await.0;
    }
    assert_eq!(last, 429, "per-user limit");
    let mut last = 0;
    for _ in 0..4 {
        last = s
            .call(
                Method::POST,
                "/api/v1/auth/login",
                &Cred::None,
                Some(json!({"email": "x@example.com", "password": "guess guess guess"})),
            )
            .await
            .0;
    }
    assert_eq!(last, 429, "login attempts are limited per email");
    s.stop().await;
}

#[tokio::test]
async fn tenancy_survives_restart_and_equals_a_replay_of_the_log() {
    let s = TestServer::start_with_root().await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let org = s
        .ok(
            Method::POST,
            "/api/v1/organisations",
            &root,
            Some(json!({"name": "Kept"})),
            201,
        )
        .await;
    let store = s
        .ok(
            Method::POST,
            "/api/v1/stores",
            &root,
            Some(json!({"organisation": org["id"], "name": "kept store"})),
            201,
        )
        .await;
    let c = s
        .ok(
            Method::POST,
            "/api/v1/clients",
            &root,
            Some(json!({"store": store["id"], "name": "kept client", "scopes": ["all"]})),
            201,
        )
        .await;
    let (key, secret) = (
        c["client"]["key"].as_str().unwrap().to_owned(),
        c["secret"].as_str().unwrap().to_owned(),
    );
    let s = s.restart().await;
    assert_eq!(
        s.xapi(Method::GET, "/xapi/statements", &key, &secret)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let stores = s
        .ok(Method::GET, "/api/v1/stores?name=kept", &root, None, 200)
        .await;
    assert_eq!(stores["items"][0]["id"], store["id"]);
    let (cfg, dir) = s.stop().await;
    let log = cairn_server::app::open_store(&cfg).unwrap();
    let loaded = cairn_core::tenancy::Registry::load(&*log)
        .unwrap()
        .current()
        .state
        .clone();
    let replayed = cairn_core::tenancy::Registry::replay(&*log).unwrap();
    assert_eq!(loaded, replayed);
    assert_eq!(loaded.stores.len(), 2, "the default store and the kept one");
    drop(dir);
}
