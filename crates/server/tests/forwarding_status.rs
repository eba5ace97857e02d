//! A forwarder's delivery status survives a restart: last success, last error (the target's
//! status and body excerpt) and consecutive failures are what they were before `kill -9`, with
//! a real `cairn` process and a webhook receiver that goes down and comes back.
#[path = "forwarding/node.rs"]
mod node;
#[path = "forwarding/receiver.rs"]
mod receiver;

use node::*;
use receiver::{Act, Receiver};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

fn one() -> (String, Value) {
    let id = uuid::Uuid::new_v4().to_string();
    let body = json!([statement(&id, "http://example.com/verbs/kept")]);
    (id, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn status_survives_kill_9() {
    let receiver = Receiver::default();
    let hook_port = receiver.clone().serve().await;
    let root = tempfile::tempdir().unwrap();
    let mut node = Node::start(
        root.path(),
        "kept",
        &[
            ("CAIRN_FORWARD_ALLOW_PRIVATE_TARGETS", "true"),
            ("CAIRN_FORWARD_BACKOFF_INITIAL_MS", "50"),
            ("CAIRN_FORWARD_BACKOFF_MAX_MS", "200"),
            ("CAIRN_FORWARD_RETRY_MAX_ATTEMPTS", "1000"),
        ],
    )
    .await;
    let (s, f) = node
        .admin(
            Method::POST,
            &format!("/stores/{DEFAULT_STORE}/forwarders"),
            Some(json!({
                "name": "kept",
                "target": {
                    "type": "webhook",
                    "url": format!("http://127.0.0.1:{hook_port}/in"),
                    "secret": "webhook-secret-0123456789",
                },
            })),
        )
        .await;
    assert_eq!(s, 201, "{f}");
    let fid = f["id"].as_str().unwrap().to_owned();
    let fpath = format!("/stores/{DEFAULT_STORE}/forwarders/{fid}");

    // A success, then the target goes down: failures pile up.
    let (first, body) = one();
    assert_eq!(node.post(&body).await, 200);
    eventually(30, "the first statement delivered", || async {
        receiver.delivered().contains(&first)
    })
    .await;
    receiver.set_default(Act::Status(503, "down for maintenance until noon"));
    let (waiting, body) = one();
    assert_eq!(node.post(&body).await, 200);
    eventually(30, "three failures in a row", || async {
        node.forwarder(&fid).await["status"]["consecutive_failures"]
            .as_u64()
            .is_some_and(|n| n >= 3)
    })
    .await;
    // Paused, so that nothing changes the status from here on.
    let (s, v) = node
        .admin(Method::PATCH, &fpath, Some(json!({"enabled": false})))
        .await;
    assert_eq!(s, 200, "{v}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = node.forwarder(&fid).await["status"].clone();
    assert!(before["last_success"].is_string(), "{before}");
    assert_eq!(before["last_error"]["status"], 503, "{before}");
    assert!(before["delivered"].as_u64().unwrap() >= 1, "{before}");

    node.kill_9_and_restart().await;
    let after = node.forwarder(&fid).await["status"].clone();
    for field in [
        "last_success",
        "last_error",
        "consecutive_failures",
        "cursor",
    ] {
        assert_eq!(
            after[field], before[field],
            "{field}: {before} then {after}"
        );
    }
    assert!(
        after["last_error"]["message"]
            .as_str()
            .unwrap()
            .contains("down for maintenance"),
        "the target's body excerpt: {after}"
    );
    assert_eq!(after["delivered"], 0, "counted since the start: {after}");
    assert_eq!(after["lag_statements"], 1, "{after}");

    // The target recovers: the waiting statement goes, the failures are over, and that too
    // survives a restart (the last error stays, for the record).
    receiver.set_default(Act::Status(200, "ok"));
    let (s, v) = node
        .admin(Method::PATCH, &fpath, Some(json!({"enabled": true})))
        .await;
    assert_eq!(s, 200, "{v}");
    eventually(30, "the waiting statement delivered", || async {
        receiver.delivered().contains(&waiting)
    })
    .await;
    eventually(30, "caught up", || async {
        node.forwarder(&fid).await["status"]["lag_statements"] == 0
    })
    .await;
    let recovered = node.forwarder(&fid).await["status"].clone();
    assert_eq!(recovered["consecutive_failures"], 0, "{recovered}");
    assert!(
        recovered["last_success"].as_str() > before["last_success"].as_str(),
        "{recovered}"
    );
    node.kill_9_and_restart().await;
    let again = node.forwarder(&fid).await["status"].clone();
    for field in [
        "last_success",
        "last_error",
        "consecutive_failures",
        "cursor",
    ] {
        assert_eq!(
            again[field], recovered[field],
            "{field}: {recovered} then {again}"
        );
    }
    assert_eq!(again["last_error"]["status"], 503, "{again}");
}
