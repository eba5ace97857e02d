//! Erasure notices: when a person is erased from a store, each of the store's forwarders is
//! told, in log order. A webhook receives a signed notice carrying the SHA-256 of each erased
//! identifier and how many statements went (never the identifiers); an xAPI target cannot take
//! one (the xAPI has no erasure), so the notice becomes a dead letter that says so, visible in
//! the status until an administrator discards it. Statements stored after the erasure still
//! flow, after the notice.
#[path = "forwarding/node.rs"]
mod node;
#[path = "forwarding/receiver.rs"]
mod receiver;

use node::*;
use receiver::{Received, Receiver};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Digest;

const HOOK_SECRET: &str = "webhook-secret-erasure-0123";
const ALICE: &str = "mailto:alice-erased@example.com";

fn by(mbox: &str, n: usize) -> (Vec<String>, Value) {
    let ids: Vec<String> = (0..n).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let body = ids
        .iter()
        .map(|id| {
            let mut s = statement(id, "http://example.com/verbs/erasable");
            s["actor"]["mbox"] = json!(mbox);
            s
        })
        .collect();
    (ids, Value::Array(body))
}

fn is_notice(r: &Received) -> bool {
    r.headers.get("x-cairn-event").map(String::as_str) == Some("erasure")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forwarders_are_told_of_an_erasure_in_log_order() {
    let hook = Receiver::default();
    let hook_port = hook.clone().serve().await;
    let lrs = Receiver::default();
    let lrs_port = lrs.clone().serve().await;
    let root = tempfile::tempdir().unwrap();
    let node = Node::start(
        root.path(),
        "erasing",
        &[("CAIRN_FORWARD_ALLOW_PRIVATE_TARGETS", "true")],
    )
    .await;
    let forwarders = format!("/stores/{DEFAULT_STORE}/forwarders");
    let (s, f) = node
        .admin(
            Method::POST,
            &forwarders,
            Some(json!({
                "name": "hook",
                "batch_size": 50,
                "target": {
                    "type": "webhook",
                    "url": format!("http://127.0.0.1:{hook_port}/in"),
                    "secret": HOOK_SECRET,
                },
            })),
        )
        .await;
    assert_eq!(s, 201, "{f}");
    let (s, x) = node
        .admin(
            Method::POST,
            &forwarders,
            Some(json!({
                "name": "lrs",
                "batch_size": 50,
                "target": {
                    "type": "xapi",
                    "endpoint": format!("http://127.0.0.1:{lrs_port}/xapi"),
                    "version": "2.0.0",
                },
            })),
        )
        .await;
    assert_eq!(s, 201, "{x}");
    let xid = x["id"].as_str().unwrap().to_owned();

    let (alice, body) = by(ALICE, 3);
    assert_eq!(node.post(&body).await, 200);
    let (others, body) = by("mailto:someone-else@example.com", 2);
    assert_eq!(node.post(&body).await, 200);
    eventually(60, "both targets have the first five", || async {
        hook.delivered().len() == 5 && lrs.delivered().len() == 5
    })
    .await;

    let (s, started) = node
        .admin(
            Method::POST,
            "/erasures",
            Some(json!({"agent": {"mbox": ALICE}, "store": DEFAULT_STORE})),
        )
        .await;
    assert_eq!(s, 202, "{started}");
    let erasure = started["id"].as_str().unwrap().to_owned();
    eventually(120, "the erasure finished", || async {
        let (_, v) = node
            .admin(Method::GET, &format!("/erasures/{erasure}"), None)
            .await;
        v["state"] == "finished"
    })
    .await;
    let (later, body) = by("mailto:someone-else@example.com", 2);
    assert_eq!(node.post(&body).await, 200);

    // The webhook: one signed notice, then the later statements.
    eventually(
        60,
        "the webhook got the notice and the later statements",
        || async { hook.got().iter().any(is_notice) && hook.delivered().len() == 7 },
    )
    .await;
    let got = hook.got();
    let notices: Vec<&Received> = got.iter().filter(|r| is_notice(r)).collect();
    assert_eq!(notices.len(), 1, "one notice");
    let n = notices[0];
    assert!(
        receiver::signed_with(n, HOOK_SECRET),
        "the notice is signed"
    );
    assert_eq!(n.answered, 200);
    let v: Value = serde_json::from_slice(&n.body).unwrap();
    let hashed = hex::encode(sha2::Sha256::digest(format!("mbox:{ALICE}").as_bytes()));
    assert_eq!(v["erasure"]["identifiers_sha256"], json!([hashed]), "{v}");
    assert_eq!(v["erasure"]["statements"], 3, "{v}");
    assert_eq!(v["idempotency_key"], n.headers["idempotency-key"].as_str());
    assert!(v.get("statements").is_none(), "{v}");
    assert!(
        !String::from_utf8_lossy(&n.body).contains("alice-erased"),
        "the notice never carries the identifier"
    );
    let answered: Vec<&Received> = got.iter().filter(|r| r.answered == 200).collect();
    let at = answered.iter().position(|r| is_notice(r)).unwrap();
    let after: Vec<String> = answered[at + 1..]
        .iter()
        .flat_map(|r| receiver::statement_ids(&r.body))
        .collect();
    assert_eq!(after, later, "the later statements come after the notice");
    let before = hook.delivered()[..5].to_vec();
    assert_eq!(before, [alice.clone(), others.clone()].concat());

    // The xAPI target: nothing sent for the notice; a dead letter says why, and forwarding
    // goes on past it.
    eventually(60, "the xAPI target got the later statements", || async {
        lrs.delivered().len() == 7
    })
    .await;
    assert!(
        lrs.got().iter().all(|r| !is_notice(r)),
        "no notice to an LRS"
    );
    let xpath = format!("{forwarders}/{xid}");
    let st = node.forwarder(&xid).await["status"].clone();
    assert_eq!(st["dead_letters"], 1, "{st}");
    let (s, dl) = node
        .admin(Method::GET, &format!("{xpath}/dead-letters"), None)
        .await;
    assert_eq!(s, 200);
    let items = dl["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{dl}");
    assert!(items[0]["status"].is_null(), "{dl}");
    assert!(
        items[0]["error"]
            .as_str()
            .unwrap()
            .contains("erase the person at the target"),
        "{dl}"
    );
    // Retrying cannot send it either; discarding clears it.
    let dead = items[0]["id"].as_str().unwrap().to_owned();
    let (s, r) = node
        .admin(
            Method::POST,
            &format!("{xpath}/dead-letters/{dead}/retry"),
            None,
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["delivered"], false, "{r}");
    let (s, _) = node
        .admin(
            Method::DELETE,
            &format!("{xpath}/dead-letters/{dead}"),
            None,
        )
        .await;
    assert!(s == 200 || s == 204, "{s}");
    assert_eq!(node.forwarder(&xid).await["status"]["dead_letters"], 0);
    assert!(lrs.got().iter().all(|r| !is_notice(r)));
}
