//! Bounds on analytics filters (issue 15, defects 1 and 2): a filter larger than
//! `filter_max_nodes`, `filter_max_values` or `filter_max_string_bytes` is refused with a 400
//! naming the bound, on every analytics endpoint, instead of stalling the server or coming back
//! from ClickHouse as a 500; a filter at the bounds runs.
mod common;

use common::{Cred, ROOT_EMAIL, ROOT_PASSWORD, TestServer};
use reqwest::Method;
use serde_json::{Value, json};

async fn store(s: &TestServer, root: &Cred) -> String {
    let org = s
        .ok(
            Method::POST,
            "/api/v1/organisations",
            root,
            Some(json!({"name": "A"})),
            201,
        )
        .await;
    let st = s
        .ok(
            Method::POST,
            "/api/v1/stores",
            root,
            Some(json!({"organisation": org["id"], "name": "S"})),
            201,
        )
        .await;
    st["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn oversized_filters_are_400_and_filters_at_the_bounds_run() {
    let s = TestServer::start_with_root().await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let id = store(&s, &root).await;
    let paths = [
        format!("/api/v1/stores/{id}/aggregate"),
        format!("/api/v1/stores/{id}/statements/query"),
        format!("/api/v1/stores/{id}/statements/export?format=csv"),
    ];
    let many: Vec<Value> = (0..60_000)
        .map(|i| json!(format!("http://v/{i}")))
        .collect();
    let branches: Vec<Value> = (0..20_000)
        .map(|i| json!({"field": "verb", "eq": format!("http://v/{i}")}))
        .collect();
    let refused = [
        (json!({"field": "verb", "in": many}), "filter_max_values"),
        (json!({"or": branches}), "filter_max_nodes"),
        (
            json!({"field": "verb", "eq": "x".repeat(300 << 10)}),
            "filter_max_string_bytes",
        ),
    ];
    for path in &paths {
        for (filter, bound) in &refused {
            let (status, body) = s
                .call(Method::POST, path, &root, Some(json!({"filter": filter})))
                .await;
            assert_eq!(status, 400, "{path} {bound}: {body}");
            let msg = body["error"]["message"].as_str().unwrap();
            assert!(msg.starts_with("/filter"), "{msg}");
            assert!(msg.contains(bound), "{msg}");
        }
    }
    // At the default bounds: 2,000 values of 4,096 bytes in 500 nodes, about 8 MiB of SQL.
    let long = |i: usize| format!("http://v/{i}/{}", "y".repeat(4096 - 16));
    let mut nodes: Vec<Value> = (0..498)
        .map(|i| json!({"field": "verb", "eq": long(i)}))
        .collect();
    nodes.push(json!({"field": "object.id", "in": (498..2000).map(long).collect::<Vec<_>>()}));
    let at_bounds = json!({"filter": {"or": nodes}});
    for path in &paths {
        let (status, body) = s
            .call(Method::POST, path, &root, Some(at_bounds.clone()))
            .await;
        assert_eq!(status, 200, "{path}: {body}");
    }
}

/// The bounds are kept by core, so every route that takes a filter refuses one over a bound
/// with a 400 naming it: analytics (aggregate, statements, export, funnel and its steps),
/// dashboards (their filter, widget queries, widget data and previews), saved filters, share
/// links (a plain URL filter, a signed token's filter) and forwarders. Small bounds keep the
/// requests short.
#[tokio::test]
async fn every_route_taking_a_filter_refuses_one_over_the_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = common::test_config(dir.path());
    cfg.filter_max_nodes = 6;
    cfg.filter_max_values = 6;
    cfg.filter_max_string_bytes = 64;
    cfg.forward_allow_private_targets = true;
    let s = TestServer::start_with_root_cfg(cfg, dir).await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let st = store(&s, &root).await;

    let values: Vec<String> = (0..7).map(|i| format!("http://v/{i}")).collect();
    let exists = json!({"field": "verb", "exists": true});
    let over = [
        (json!({"field": "verb", "in": values}), "filter_max_values"),
        (json!({"or": vec![exists.clone(); 7]}), "filter_max_nodes"),
        (
            json!({"field": "verb", "eq": "x".repeat(65)}),
            "filter_max_string_bytes",
        ),
    ];
    let within = json!({"field": "verb", "in": ["http://v/0", "http://v/1"]});

    // Things to refer to: a dashboard with a widget, share links, a saved filter, a forwarder.
    let d = s
        .ok(
            Method::POST,
            &format!("/api/v1/stores/{st}/dashboards"),
            &root,
            Some(json!({"name": "D", "filter": within})),
            201,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let widget = |filter: &Value| json!({"title": "n", "type": "counter", "query": {"kind": "aggregate", "filter": filter}});
    let w = s
        .ok(
            Method::POST,
            &format!("/api/v1/dashboards/{d}/widgets"),
            &root,
            Some(widget(&within)),
            201,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let links = format!("/api/v1/dashboards/{d}/links");
    let link = |url_filter: &'static str| {
        let (s, root, links) = (&s, &root, &links);
        async move {
            let body = json!({"visibility": "anyone", "url_filter": url_filter});
            s.ok(Method::POST, links, root, Some(body), 201).await
        }
    };
    let plain = link("plain").await["link"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let signed = link("signed").await;
    let (signed, key) = (
        signed["link"]["id"].as_str().unwrap().to_owned(),
        signed["secret"].as_str().unwrap().to_owned(),
    );
    let saved = s
        .ok(
            Method::POST,
            &format!("/api/v1/stores/{st}/filters"),
            &root,
            Some(json!({"name": "F", "filter": within})),
            201,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let hook =
        json!({"type": "webhook", "url": "http://127.0.0.1:9/hook", "secret": "0123456789abcdef"});
    let fwd = s
        .ok(
            Method::POST,
            &format!("/api/v1/stores/{st}/forwarders"),
            &root,
            Some(json!({"name": "W", "target": hook, "enabled": false, "filter": within})),
            201,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let exp = (cairn_core::time_fmt::now_us() / 1_000_000) as u64 + 600;
    for (f, bound) in &over {
        let post = |path: String, body: Value| (Method::POST, path, Some(body));
        let patch = |path: String, body: Value| (Method::PATCH, path, Some(body));
        let token = cairn_core::dashboards::shared::sign(
            key.as_bytes(),
            &cairn_core::dashboards::shared::Claims {
                filter: f.clone(),
                exp,
            },
        );
        let url_filter: String =
            form_urlencoded::byte_serialize(f.to_string().as_bytes()).collect();
        let cases = [
            post(
                format!("/api/v1/stores/{st}/aggregate"),
                json!({"filter": f}),
            ),
            post(
                format!("/api/v1/stores/{st}/statements/query"),
                json!({"filter": f}),
            ),
            post(
                format!("/api/v1/stores/{st}/statements/export?format=csv"),
                json!({"filter": f}),
            ),
            post(
                format!("/api/v1/stores/{st}/funnel"),
                json!({"filter": f, "steps": [within, within]}),
            ),
            post(
                format!("/api/v1/stores/{st}/funnel"),
                json!({"steps": [within, f]}),
            ),
            post(
                format!("/api/v1/stores/{st}/dashboards"),
                json!({"name": "E", "filter": f}),
            ),
            patch(format!("/api/v1/dashboards/{d}"), json!({"filter": f})),
            post(format!("/api/v1/dashboards/{d}/widgets"), widget(f)),
            patch(
                format!("/api/v1/dashboards/{d}/widgets/{w}"),
                json!({"query": {"kind": "aggregate", "filter": f}}),
            ),
            post(
                format!("/api/v1/dashboards/{d}/widgets/{w}/data"),
                json!({"filter": f}),
            ),
            post(
                format!("/api/v1/stores/{st}/widget-preview"),
                json!({"type": "counter", "query": {"kind": "aggregate", "filter": f}}),
            ),
            post(
                format!("/api/v1/stores/{st}/widget-preview"),
                json!({"type": "counter", "query": {"kind": "aggregate"}, "filter": f}),
            ),
            post(
                format!("/api/v1/stores/{st}/filters"),
                json!({"name": "G", "filter": f}),
            ),
            patch(
                format!("/api/v1/stores/{st}/filters/{saved}"),
                json!({"filter": f}),
            ),
            (
                Method::GET,
                format!("/api/v1/shared/{plain}?filter={url_filter}"),
                None,
            ),
            post(
                format!("/api/v1/shared/{plain}/widgets/{w}/data"),
                json!({"filter": f}),
            ),
            (
                Method::GET,
                format!("/api/v1/shared/{signed}?token={token}"),
                None,
            ),
            post(
                format!("/api/v1/shared/{signed}/widgets/{w}/data"),
                json!({"token": token}),
            ),
            post(
                format!("/api/v1/stores/{st}/forwarders"),
                json!({"name": "X", "target": hook, "enabled": false, "filter": f}),
            ),
            patch(
                format!("/api/v1/stores/{st}/forwarders/{fwd}"),
                json!({"filter": f}),
            ),
        ];
        for (method, path, body) in cases {
            let cred = if path.starts_with("/api/v1/shared/") {
                &Cred::None
            } else {
                &root
            };
            let (status, v) = s.call(method.clone(), &path, cred, body).await;
            assert_eq!(status, 400, "{method} {path} ({bound}): {v}");
            let msg = v["error"]["message"].as_str().unwrap_or_default();
            assert!(msg.contains(bound), "{method} {path}: {msg}");
        }
    }
    // Nothing over the bounds was saved.
    let (_, list) = s
        .call(
            Method::GET,
            &format!("/api/v1/stores/{st}/dashboards"),
            &root,
            None,
        )
        .await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "{list}");
}
