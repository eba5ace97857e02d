//! The admin API over HTTP against a running node, continued from `tenancy_api.rs`:
//! `statements/read/mine`, the OpenAPI document, rate limits, and the tenancy surviving a
//! restart and equalling a replay of the log.
mod common;

use common::{Cred, ROOT_EMAIL, ROOT_PASSWORD, TestServer, statement, test_config};
use reqwest::Method;
use serde_json::json;

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
