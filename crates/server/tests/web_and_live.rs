//! The web app and the share pages (CSP frame-ancestors, Referer checks, the page shown when
//! the app is not built), and live mode: progress pushed as server-sent events.
mod common;
#[path = "common/dashboards.rs"]
mod dash;

use common::{Cred, ROOT_EMAIL, ROOT_PASSWORD, TestServer, statement, test_config};
use dash::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test]
async fn the_web_app_and_share_pages_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let web = tempfile::tempdir().unwrap();
    std::fs::write(
        web.path().join("index.html"),
        "<!doctype html><title>app</title>",
    )
    .unwrap();
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
            let csp = res
                .headers()
                .get("content-security-policy")
                .map(|v| v.to_str().unwrap().to_owned());
            (status, csp, res.text().await.unwrap())
        }
    };
    assert_eq!(get("/", None).await.2, "<!doctype html><title>app</title>");
    let (st, _, body) = get("/dashboards/123", None).await;
    assert_eq!(
        (st, body.contains("<title>app")),
        (200, true),
        "client routes get index.html"
    );
    assert_eq!(get("/app.js", None).await.2, "console.log(1)");
    for p in ["/api/v1/nope", "/xapi/nope"] {
        let (st, _, body) = get(p, None).await;
        assert_eq!(st, 404);
        assert!(body.contains("no such route"), "{p}: {body}");
    }

    let (d, _, _) = board(&s, &root, STORE, None).await;
    let anyone = link(
        &s,
        &root,
        &d,
        json!({"visibility": "anyone", "url_filter": "off"}),
    )
    .await["link"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (st, csp, body) = get(&format!("/s/{anyone}"), None).await;
    assert_eq!((st, csp.as_deref()), (200, Some("frame-ancestors *")));
    assert!(body.contains("<title>app"));
    let lms = link(&s, &root, &d, json!({"visibility": "domains", "domains": ["https://lms.example.com"], "url_filter": "off"})).await["link"]["id"].as_str().unwrap().to_owned();
    let (st, csp, _) = get(
        &format!("/embed/{lms}"),
        Some("https://lms.example.com/course/7"),
    )
    .await;
    assert_eq!(
        (st, csp.as_deref()),
        (200, Some("frame-ancestors https://lms.example.com"))
    );
    let (st, _, body) = get(&format!("/embed/{lms}"), Some("https://evil.example.com/")).await;
    assert_eq!(st, 403);
    assert!(
        body.contains("<html") && !body.contains("<title>app"),
        "{body}"
    );
    assert_eq!(get(&format!("/embed/{lms}"), None).await.0, 403);
    s.ok(
        Method::DELETE,
        &format!("/api/v1/dashboards/{d}/links/{anyone}"),
        &root,
        None,
        204,
    )
    .await;
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
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("npm ci && npm run build")
    );
    s.stop().await;
}

/// Reads the event stream until an event arrives, for at most 2 s.
async fn next_event(res: &mut reqwest::Response) -> String {
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    while !text.contains("data:") {
        let chunk = tokio::time::timeout_at(deadline, res.chunk())
            .await
            .expect("an event within 2 s");
        text.push_str(&String::from_utf8_lossy(
            &chunk.unwrap().expect("stream open"),
        ));
    }
    text
}

#[tokio::test]
async fn live_progress_is_pushed_after_each_projected_batch() {
    let s = TestServer::start_with_root().await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let (d, _, _) = board(&s, &root, STORE, None).await;
    let l = link(
        &s,
        &root,
        &d,
        json!({"visibility": "anyone", "url_filter": "off"}),
    )
    .await["link"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut store = s
        .api(
            Method::GET,
            &format!("/api/v1/stores/{STORE}/progress"),
            &root,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(store.status(), 200);
    assert!(
        store.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut shared = s
        .http
        .get(format!("{}/api/v1/shared/{l}/progress", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(shared.status(), 200);
    assert_eq!(
        s.api(
            Method::GET,
            &format!("/api/v1/stores/{}/progress", common::uuid()),
            &root
        )
        .send()
        .await
        .unwrap()
        .status(),
        404
    );
    assert_eq!(
        s.http
            .get(format!("{}/api/v1/stores/{STORE}/progress", s.base))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
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
