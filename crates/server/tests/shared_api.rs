//! Share links on a running node: the public API reads only through a link's rights (its
//! dashboard, its store, the dashboard filter AND the link's URL filter); bad tokens and
//! revoked, expired or unshared links answer clear JSON errors and never data; the web app and
//! the share pages (CSP frame-ancestors, Referer checks); live progress as server-sent events.
mod common;

use common::{Cred, ROOT_EMAIL, ROOT_PASSWORD, TestServer, statement, test_config};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

const STORE: &str = "00000000-0000-0000-0000-000000000001";
const A0: &str = "http://example.com/a/0";
const A1: &str = "http://example.com/a/1";

fn total(data: &Value) -> f64 {
    data["rows"].as_array().unwrap().iter().map(|r| r["values"][0].as_f64().unwrap()).sum()
}

/// A dashboard in `store` with a count widget and a statements widget; answers (dashboard id,
/// count widget, statements widget).
async fn board(s: &TestServer, root: &Cred, store: &str, filter: Option<Value>) -> (String, String, String) {
    let mut body = json!({"name": "Shared", "time_range": {"preset": "1y"}});
    if let Some(f) = filter {
        body["filter"] = f;
    }
    let d = s.ok(Method::POST, &format!("/api/v1/stores/{store}/dashboards"), root, Some(body), 201).await;
    let id = d["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/dashboards/{id}/widgets");
    let mut ids = Vec::new();
    for b in [
        json!({"title": "n", "type": "counter", "query": {"kind": "aggregate"}}),
        json!({"title": "r", "type": "table", "query": {"kind": "statements", "fields": ["object.id"]}}),
    ] {
        let w = s.ok(Method::POST, &path, root, Some(b), 201).await;
        ids.push(w["id"].as_str().unwrap().to_owned());
    }
    let rows = ids.pop().unwrap();
    let count = ids.pop().unwrap();
    (id, count, rows)
}

async fn link(s: &TestServer, root: &Cred, dashboard: &str, body: Value) -> Value {
    s.ok(Method::POST, &format!("/api/v1/dashboards/{dashboard}/links"), root, Some(body), 201).await
}

async fn data(s: &TestServer, link: &str, widget: &str, body: Value) -> (u16, Value) {
    s.call(Method::POST, &format!("/api/v1/shared/{link}/widgets/{widget}/data"), &Cred::None, Some(body)).await
}

fn sign(secret: &str, filter: Value, exp: u64) -> String {
    cairn_core::dashboards::shared::sign(secret.as_bytes(), &cairn_core::dashboards::shared::Claims { filter, exp })
}

#[tokio::test]
async fn a_link_reads_only_through_its_rights() {
    let s = TestServer::start_with_root().await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    // Store A (default) has a0 ×3 and a1 ×2; store B has 5 more statements.
    let mut batch: Vec<Value> = (0..3).map(|_| statement("http://v/x", A0)).collect();
    batch.extend((0..2).map(|_| statement("http://v/x", A1)));
    assert_eq!(s.post(json!(batch)).await.status(), 200);
    let org = s.ok(Method::GET, &format!("/api/v1/stores/{STORE}"), &root, None, 200).await["organisation"].clone();
    let b = s.ok(Method::POST, "/api/v1/stores", &root, Some(json!({"organisation": org, "name": "B"})), 201).await;
    let store_b = b["id"].as_str().unwrap().to_owned();
    let c = s.ok(Method::POST, "/api/v1/clients", &root, Some(json!({"store": store_b, "name": "b", "scopes": ["all"]})), 201).await;
    let (key, secret) = (c["client"]["key"].as_str().unwrap(), c["secret"].as_str().unwrap());
    let batch_b: Vec<Value> = (0..5).map(|_| statement("http://v/x", A0)).collect();
    let res = s.xapi(Method::POST, "/xapi/statements", key, secret).json(&batch_b).send().await.unwrap();
    assert_eq!(res.status(), 200);
    s.wait_projected("1", 10).await;

    let (d, count, rows) = board(&s, &root, STORE, Some(json!({"field": "object.id", "in": [A0, A1]}))).await;
    let (other_d, other_count, _) = board(&s, &root, STORE, None).await;
    let (_, b_count, _) = board(&s, &root, &store_b, None).await;
    let off = link(&s, &root, &d, json!({"visibility": "anyone", "url_filter": "off"})).await;
    let off_id = off["link"]["id"].as_str().unwrap().to_owned();
    assert!(off["url"].as_str().unwrap().ends_with(&format!("/s/{off_id}")));
    assert!(off["embed_snippet"].as_str().unwrap().contains(&format!("/embed/{off_id}")));
    assert!(off["secret"].is_null());

    // The dashboard as shared: its widgets, no store.
    let v = s.ok(Method::GET, &format!("/api/v1/shared/{off_id}"), &Cred::None, None, 200).await;
    assert_eq!(v["widgets"].as_array().unwrap().len(), 2);
    assert!(!v.to_string().contains(STORE), "{v}");
    let (st, v) = data(&s, &off_id, &count, json!({})).await;
    assert_eq!((st, total(&v)), (200, 5.0), "{v}");
    // Another dashboard's widget, another store's widget: not through this link.
    assert_eq!(data(&s, &off_id, &other_count, json!({})).await.0, 404);
    assert_eq!(data(&s, &off_id, &b_count, json!({})).await.0, 404);
    // An `off` link takes no filter.
    let (st, e) = data(&s, &off_id, &count, json!({"filter": {"field": "object.id", "eq": A1}})).await;
    assert_eq!(st, 400, "{e}");
    let (st, _) = s.call(Method::GET, &format!("/api/v1/shared/{off_id}?filter=%7B%7D"), &Cred::None, None).await;
    assert_eq!(st, 400);

    // Plain: the URL filter narrows (AND), it never widens past the dashboard filter.
    let plain = link(&s, &root, &d, json!({"visibility": "anyone", "url_filter": "plain"})).await["link"]["id"].as_str().unwrap().to_owned();
    let (_, v) = data(&s, &plain, &count, json!({"filter": {"field": "object.id", "eq": A1}})).await;
    assert_eq!(total(&v), 2.0);
    let (_, v) = data(&s, &plain, &count, json!({"filter": {"or": [{"field": "object.id", "eq": "http://else"}, {"exists": true, "field": "verb"}]}})).await;
    assert_eq!(total(&v), 5.0, "the dashboard filter still applies");
    let (_, v) = data(&s, &plain, &rows, json!({"filter": {"field": "object.id", "eq": A1}})).await;
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|i| i["object.id"] == A1), "{v}");

    // Signed: the token's filter applies; a bad, expired, tampered or missing token gets 401.
    let signed = link(&s, &root, &d, json!({"visibility": "anyone", "url_filter": "signed"})).await;
    let sid = signed["link"]["id"].as_str().unwrap().to_owned();
    let key = signed["secret"].as_str().unwrap().to_owned();
    let exp = (cairn_core::time_fmt::now_us() / 1_000_000) as u64 + 600;
    let token = sign(&key, json!({"field": "object.id", "eq": A0}), exp);
    let (st, v) = data(&s, &sid, &count, json!({"token": token})).await;
    assert_eq!((st, total(&v)), (200, 3.0), "{v}");
    let bad = [
        sign("not the secret", json!({"field": "object.id", "eq": A0}), exp),
        sign(&key, json!({"field": "object.id", "eq": A0}), 1_000),
        format!("{}x", &token[..token.len() - 1]),
    ];
    for t in bad {
        let (st, v) = data(&s, &sid, &count, json!({"token": t})).await;
        assert_eq!(st, 401, "{v}");
        assert!(v.get("rows").is_none() && v["error"]["message"].is_string());
    }
    assert_eq!(data(&s, &sid, &count, json!({})).await.0, 401);
    assert_eq!(data(&s, &sid, &count, json!({"filter": {"field": "verb", "eq": "x"}})).await.0, 400);
    let (st, _) = s.call(Method::GET, &format!("/api/v1/shared/{sid}?token={token}"), &Cred::None, None).await;
    assert_eq!(st, 200);

    // Revoked, expired and unshared links answer 403; unknown ones 404; never data.
    s.ok(Method::DELETE, &format!("/api/v1/dashboards/{d}/links/{off_id}"), &root, None, 204).await;
    let (st, v) = data(&s, &off_id, &count, json!({})).await;
    assert_eq!(st, 403);
    assert!(v["error"]["message"].as_str().unwrap().contains("revoked"));
    let expired = link(&s, &root, &d, json!({"visibility": "anyone", "url_filter": "off", "expires_at": "2020-01-01T00:00:00Z"})).await["link"]["id"].as_str().unwrap().to_owned();
    let (st, v) = data(&s, &expired, &count, json!({})).await;
    assert_eq!(st, 403);
    assert!(v["error"]["message"].as_str().unwrap().contains("expired"));
    let nobody = link(&s, &root, &d, json!({"visibility": "nobody", "url_filter": "off"})).await["link"]["id"].as_str().unwrap().to_owned();
    assert_eq!(data(&s, &nobody, &count, json!({})).await.0, 403);
    assert_eq!(data(&s, &common::uuid(), &count, json!({})).await.0, 404);
    // Domains are validated.
    let (st, e) = s.call(Method::POST, &format!("/api/v1/dashboards/{d}/links"), &root,
        Some(json!({"visibility": "domains", "domains": ["lms.example.com"], "url_filter": "off"}))).await;
    assert_eq!(st, 400);
    assert!(e["error"]["message"].as_str().unwrap().starts_with("/domains/0"), "{e}");
    // Deleting the dashboard ends its links.
    s.ok(Method::DELETE, &format!("/api/v1/dashboards/{d}"), &root, None, 204).await;
    assert_eq!(data(&s, &plain, &count, json!({})).await.0, 404);
    let _ = other_d;
    s.stop().await;
}

#[tokio::test]
async fn the_web_app_and_share_pages_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let web = tempfile::tempdir().unwrap();
    std::fs::write(web.path().join("index.html"), "<!doctype html><title>app</title>").unwrap();
    std::fs::write(web.path().join("app.js"), "console.log(1)").unwrap();
    let mut cfg = test_config(dir.path());
    cfg.web_dir = web.path().to_path_buf();
    let s = TestServer::start_with_root_cfg(cfg, dir).await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let get = |path: &str, referer: Option<&str>| {
        let mut r = s.http.get(format!("{}{path}", s.base));
        if let Some(x) = referer {
            r = r.header("referer", x);
        }
        async move {
            let res = r.send().await.unwrap();
            let status = res.status().as_u16();
            let csp = res.headers().get("content-security-policy").map(|v| v.to_str().unwrap().to_owned());
            (status, csp, res.text().await.unwrap())
        }
    };
    assert_eq!(get("/", None).await.2, "<!doctype html><title>app</title>");
    let (st, _, body) = get("/dashboards/123", None).await;
    assert_eq!((st, body.contains("<title>app")), (200, true), "client routes get index.html");
    assert_eq!(get("/app.js", None).await.2, "console.log(1)");
    for p in ["/api/v1/nope", "/xapi/nope"] {
        let (st, _, body) = get(p, None).await;
        assert_eq!(st, 404);
        assert!(body.contains("no such route"), "{p}: {body}");
    }

    let (d, _, _) = board(&s, &root, STORE, None).await;
    let anyone = link(&s, &root, &d, json!({"visibility": "anyone", "url_filter": "off"})).await["link"]["id"].as_str().unwrap().to_owned();
    let (st, csp, body) = get(&format!("/s/{anyone}"), None).await;
    assert_eq!((st, csp.as_deref()), (200, Some("frame-ancestors *")));
    assert!(body.contains("<title>app"));
    let lms = link(&s, &root, &d, json!({"visibility": "domains", "domains": ["https://lms.example.com"], "url_filter": "off"})).await["link"]["id"].as_str().unwrap().to_owned();
    let (st, csp, _) = get(&format!("/embed/{lms}"), Some("https://lms.example.com/course/7")).await;
    assert_eq!((st, csp.as_deref()), (200, Some("frame-ancestors https://lms.example.com")));
    let (st, _, body) = get(&format!("/embed/{lms}"), Some("https://evil.example.com/")).await;
    assert_eq!(st, 403);
    assert!(body.contains("<html") && !body.contains("<title>app"), "{body}");
    assert_eq!(get(&format!("/embed/{lms}"), None).await.0, 403);
    s.ok(Method::DELETE, &format!("/api/v1/dashboards/{d}/links/{anyone}"), &root, None, 204).await;
    assert_eq!(get(&format!("/s/{anyone}"), None).await.0, 403);
    assert_eq!(get(&format!("/s/{}", common::uuid()), None).await.0, 404);
    assert_eq!(get("/s/not-an-id", None).await.0, 404);
    let (cfg, dir) = s.stop().await;

    // Without a built web app, `/` says how to build it.
    let mut cfg = cfg;
    cfg.web_dir = web.path().join("missing");
    cfg.http_addr = "127.0.0.1:0".parse().unwrap();
    let s = TestServer::start_with(cfg, dir).await;
    let res = s.http.get(format!("{}/", s.base)).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("npm ci && npm run build"));
    s.stop().await;
}

/// Reads the event stream until an event arrives, for at most 2 s.
async fn next_event(res: &mut reqwest::Response) -> String {
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    while !text.contains("data:") {
        let chunk = tokio::time::timeout_at(deadline, res.chunk()).await.expect("an event within 2 s");
        text.push_str(&String::from_utf8_lossy(&chunk.unwrap().expect("stream open")));
    }
    text
}

#[tokio::test]
async fn live_progress_is_pushed_after_each_projected_batch() {
    let s = TestServer::start_with_root().await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let (d, _, _) = board(&s, &root, STORE, None).await;
    let l = link(&s, &root, &d, json!({"visibility": "anyone", "url_filter": "off"})).await["link"]["id"].as_str().unwrap().to_owned();
    let mut store = s.api(Method::GET, &format!("/api/v1/stores/{STORE}/progress"), &root).send().await.unwrap();
    assert_eq!(store.status(), 200);
    assert!(store.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let mut shared = s.http.get(format!("{}/api/v1/shared/{l}/progress", s.base)).send().await.unwrap();
    assert_eq!(shared.status(), 200);
    assert_eq!(s.api(Method::GET, &format!("/api/v1/stores/{}/progress", common::uuid()), &root).send().await.unwrap().status(), 404);
    assert_eq!(s.http.get(format!("{}/api/v1/stores/{STORE}/progress", s.base)).send().await.unwrap().status(), 401);
    assert_eq!(s.post(statement("http://v/x", A0)).await.status(), 200);
    for res in [&mut store, &mut shared] {
        let text = next_event(res).await;
        let line = text.lines().find(|l| l.starts_with("data:")).unwrap();
        let v: Value = serde_json::from_str(line.trim_start_matches("data:").trim()).unwrap();
        assert!(v["seq"].as_u64().unwrap() > 0, "{text}");
    }
    drop(store);
    drop(shared);
    s.stop().await;
}
