//! A cluster's first tenants for the tests that need a site administrator: made on a single
//! node's directory with the `cairn admin` commands, then moved into the cluster's (empty)
//! stream with `cairn cluster-seed`; and that client's xAPI reads on a node.
#![allow(dead_code)]
use super::nats::NatsCluster;
use super::node::{Node, cairn};
use serde_json::Value;
use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

/// A store's client.
pub struct Client {
    pub store: String,
    pub key: String,
    pub secret: String,
}

/// A site administrator `admin` with `password`, an organisation named `org`, a store and its
/// client, seeded into the cluster's stream. Answers the client.
pub fn provision(
    root: &Path,
    nats: &NatsCluster,
    admin: &str,
    password: &str,
    org: &str,
) -> Client {
    let conf = root.join("single.toml");
    let dir = root.join("single");
    std::fs::write(
        &conf,
        format!("data_dir = {:?}\n", dir.display().to_string()),
    )
    .unwrap();
    let site = [
        "admin",
        "site-admin",
        "--email",
        admin,
        "--password",
        password,
    ];
    cairn(&conf, &site);
    let org = cairn(&conf, &["admin", "org", "create", "--name", org]);
    let org = org["id"].as_str().unwrap().to_owned();
    let s = cairn(
        &conf,
        &["admin", "store", "create", "--org", &org, "--name", "s"],
    );
    let store = s["id"].as_str().unwrap().to_owned();
    let c = cairn(
        &conf,
        &[
            "admin", "client", "create", "--store", &store, "--name", "lms",
        ],
    );
    let urls: Vec<String> = nats.urls().iter().map(|u| format!("{u:?}")).collect();
    let seed_conf = root.join("seed.toml");
    std::fs::write(
        &seed_conf,
        format!(
            "log_backend = \"jetstream\"\nnats_urls = [{}]\ndata_dir = {:?}\n",
            urls.join(", "),
            root.join("seeder").display().to_string()
        ),
    )
    .unwrap();
    cairn(
        &seed_conf,
        &["cluster-seed", "--from", &dir.display().to_string()],
    );
    Client {
        store,
        key: c["key"].as_str().unwrap().to_owned(),
        secret: c["secret"].as_str().unwrap().to_owned(),
    }
}

pub fn xapi(http: &reqwest::blocking::Client, port: u16, c: &Client, path: &str) -> (u16, Value) {
    let res = http
        .get(format!("http://127.0.0.1:{port}{path}"))
        .basic_auth(&c.key, Some(&c.secret))
        .header("X-Experience-API-Version", "1.0.3")
        .send()
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().unwrap_or(Value::Null))
}

/// Every statement id `port` lists through `c` for the query string `query` (all pages).
pub fn list(http: &reqwest::blocking::Client, port: u16, c: &Client, query: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut next = format!("/xapi/statements?limit=500{query}");
    loop {
        let (status, page) = xapi(http, port, c, &next);
        assert_eq!(status, 200, "GET {next} on {port}");
        for s in page["statements"].as_array().unwrap() {
            out.push(s["id"].as_str().unwrap().to_owned());
        }
        next = page["more"].as_str().unwrap().to_owned();
        if next.is_empty() {
            return out;
        }
    }
}

/// Waits until `node` lists exactly `want` (each once).
pub fn wait_lists(
    http: &reqwest::blocking::Client,
    node: &Node,
    c: &Client,
    want: &HashSet<String>,
) {
    let deadline = Instant::now() + Duration::from_secs(150);
    loop {
        let served = list(http, node.port, c, "");
        let unique: HashSet<String> = served.iter().cloned().collect();
        assert_eq!(unique.len(), served.len(), "{} lists one twice", node.port);
        if &unique == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "node {} lists {} statements ({} expected, {} unexpected):\n{}",
            node.port,
            unique.len(),
            want.len(),
            unique.difference(want).count(),
            node.log()
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}
