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
