//! The erasure tests' requests: statements of a learner, the site administrator's erasures,
//! and the wait until a node no longer serves an erased learner.
#![allow(dead_code)]
use super::node::Node;
use super::provision::{Client, wait_lists};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// `n` statements of `mbox`, each with a response naming it (so its bytes are in the body).
pub fn statements(mbox: &str, n: usize) -> (Vec<String>, Vec<Value>) {
    let ids: Vec<String> = (0..n).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let body = ids
        .iter()
        .map(|id| {
            json!({
                "id": id,
                "actor": {"objectType": "Agent", "mbox": mbox},
                "verb": {"id": "http://example.com/verbs/answered"},
                "object": {"id": format!("http://example.com/act/{id}")},
                "result": {"response": format!("{mbox} answered")},
            })
        })
        .collect();
    (ids, body)
}

pub fn post(http: &reqwest::blocking::Client, port: u16, c: &Client, body: &[Value]) {
    let res = http
        .post(format!("http://127.0.0.1:{port}/xapi/statements"))
        .basic_auth(&c.key, Some(&c.secret))
        .header("X-Experience-API-Version", "1.0.3")
        .json(body)
        .send()
        .unwrap();
    assert_eq!(res.status(), 200, "POST on {port}: {}", res.text().unwrap());
}

/// A session of the site administrator on `port`.
fn login(http: &reqwest::blocking::Client, port: u16, email: &str, password: &str) -> String {
    let res = http
        .post(format!("http://127.0.0.1:{port}/api/v1/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200, "login on {port}");
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    cookie
        .split(';')
        .next()
        .and_then(|c| c.strip_prefix("cairn_session="))
        .unwrap()
        .to_owned()
}

/// The site administrator's requests on `port`.
pub struct Admin {
    base: String,
    session: String,
}

impl Admin {
    pub fn on(http: &reqwest::blocking::Client, port: u16, email: &str, password: &str) -> Admin {
        Admin {
            base: format!("http://127.0.0.1:{port}"),
            session: login(http, port, email, password),
        }
    }

    pub fn req(&self, r: reqwest::blocking::RequestBuilder) -> reqwest::blocking::RequestBuilder {
        r.header("cookie", format!("cairn_session={}", self.session))
            .header("origin", &self.base)
    }

    /// Starts erasing `mbox` from `c`'s store; answers the erasure's id.
    pub fn start_erasure(
        &self,
        http: &reqwest::blocking::Client,
        c: &Client,
        mbox: &str,
    ) -> String {
        let res = self
            .req(http.post(format!("{}/api/v1/erasures", self.base)))
            .json(&json!({"store": c.store, "agent": {"mbox": mbox}}))
            .send()
            .unwrap();
        assert_eq!(res.status(), 202, "erasure: {}", res.text().unwrap());
        res.json::<Value>().unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Waits until erasure `id` is in one of `states`; answers the state.
    pub fn wait_state(
        &self,
        http: &reqwest::blocking::Client,
        id: &str,
        states: &[&str],
    ) -> String {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let s: Value = self
                .req(http.get(format!("{}/api/v1/erasures/{id}", self.base)))
                .send()
                .unwrap()
                .json()
                .unwrap();
            let state = s["state"].as_str().unwrap_or_default().to_owned();
            if states.contains(&state.as_str()) {
                return state;
            }
            assert!(state != "failed", "erasure failed: {s}");
            assert!(Instant::now() < deadline, "erasure not {states:?}: {s}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Waits (up to 90 s) until `node` lists exactly `kept` and serves no statement of `gone` by
/// id (404). A node lists without them once its ClickHouse rows are deleted, and answers 404
/// once it has removed them from its own store, a moment later.
pub fn assert_erased(
    http: &reqwest::blocking::Client,
    node: &Node,
    c: &Client,
    kept: &HashSet<String>,
    gone: &[String],
) {
    wait_lists(http, node, c, kept);
    let deadline = Instant::now() + Duration::from_secs(90);
    for id in gone {
        loop {
            let res = http
                .get(format!("http://127.0.0.1:{}/xapi/statements", node.port))
                .query(&[("statementId", id)])
                .basic_auth(&c.key, Some(&c.secret))
                .header("X-Experience-API-Version", "1.0.3")
                .send()
                .unwrap();
            if res.status() == 404 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "erased {id} on {}: {}",
                node.port,
                res.status()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}
