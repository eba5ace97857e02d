//! Helpers of the share-link tests: a dashboard with two widgets, links, shared data.
#![allow(dead_code)]
use crate::common::{Cred, TestServer};
use reqwest::Method;
use serde_json::{Value, json};

pub const STORE: &str = "00000000-0000-0000-0000-000000000001";
pub const A0: &str = "http://example.com/a/0";
pub const A1: &str = "http://example.com/a/1";

pub fn total(data: &Value) -> f64 {
    data["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["values"][0].as_f64().unwrap())
        .sum()
}

/// A dashboard in `store` with a count widget and a statements widget; answers (dashboard id,
/// count widget, statements widget).
pub async fn board(
    s: &TestServer,
    root: &Cred,
    store: &str,
    filter: Option<Value>,
) -> (String, String, String) {
    let mut body = json!({"name": "Shared", "time_range": {"preset": "1y"}});
    if let Some(f) = filter {
        body["filter"] = f;
    }
    let d = s
        .ok(
            Method::POST,
            &format!("/api/v1/stores/{store}/dashboards"),
            root,
            Some(body),
            201,
        )
        .await;
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

pub async fn link(s: &TestServer, root: &Cred, dashboard: &str, body: Value) -> Value {
    s.ok(
        Method::POST,
        &format!("/api/v1/dashboards/{dashboard}/links"),
        root,
        Some(body),
        201,
    )
    .await
}

pub async fn data(s: &TestServer, link: &str, widget: &str, body: Value) -> (u16, Value) {
    s.call(
        Method::POST,
        &format!("/api/v1/shared/{link}/widgets/{widget}/data"),
        &Cred::None,
        Some(body),
    )
    .await
}
