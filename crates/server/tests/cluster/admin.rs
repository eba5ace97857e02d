//! The admin API of the cluster tests: a site administrator's token, requests with it, and
//! which node holds the forwarding lease.
#![allow(dead_code)]
use super::node::{Node, metric};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const HELD: &str = "cairn_forwarding_lease_held";

/// The one node among `live` (indexes into `metrics`, their metrics ports) whose gauge says it holds the forwarding lease, once exactly one
/// does; panics after `within`.
pub fn holder(metrics: &[u16], live: &[usize], within: Duration) -> usize {
    let started = Instant::now();
    loop {
        let held: Vec<usize> = live
            .iter()
            .copied()
            .filter(|i| metric(metrics[*i], HELD) == 1.0)
            .collect();
        if held.len() == 1 {
            return held[0];
        }
        assert!(held.len() <= 1, "two nodes forward: {held:?}");
        assert!(
            started.elapsed() < within,
            "no node took the forwarding lease within {within:?}"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// A site administrator made through `node`'s set-up link, and a personal token of theirs.
pub fn admin_token(node: &Node, out: &std::path::Path) -> String {
    let http = reqwest::blocking::Client::new();
    let base = format!("http://127.0.0.1:{}", node.port);
    let deadline = Instant::now() + Duration::from_secs(20);
    let token = loop {
        let printed = std::fs::read_to_string(out).unwrap_or_default();
        if let Some(t) = printed.lines().find_map(|l| {
            let (_, t) = l.split_once("/setup#token=")?;
            Some(t.trim().to_owned())
        }) {
            break t;
        }
        assert!(Instant::now() < deadline, "no set-up link printed");
        std::thread::sleep(Duration::from_millis(50));
    };
    let res = http
        .post(format!("{base}/api/v1/setup"))
        .json(&json!({"token": token, "email": "root@example.com",
                      "password": "correct horse battery"}))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().unwrap());
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    let session = cookie.split(';').next().unwrap().to_owned();
    let res = http
        .post(format!("{base}/api/v1/me/tokens"))
        .header("Cookie", session)
        .header("Origin", &base)
        .json(&json!({"name": "tests"}))
        .send()
        .unwrap();
    assert_eq!(res.status(), 201, "token");
    res.json::<Value>().unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub fn admin(
    port: u16,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = reqwest::blocking::Client::new()
        .request(method, format!("http://127.0.0.1:{port}/api/v1{path}"))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().unwrap();
    let status = res.status().as_u16();
    let text = res.text().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}
