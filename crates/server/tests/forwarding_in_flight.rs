//! Several batches in flight (`forward_in_flight`), with a real `cairn` process and a webhook
//! receiver that keeps failing the first batch while it accepts the later ones: the later
//! batches arrive first, the cursor stays before the failing batch until it is acknowledged,
//! and then every statement is at the target and the cursor reaches the end of the log.
#[path = "forwarding/node.rs"]
mod node;
#[path = "forwarding/receiver.rs"]
mod receiver;

use node::*;
use receiver::Receiver;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_cursor_waits_for_the_oldest_batch_in_flight() {
    let receiver = Receiver::default();
    let hook_port = receiver.clone().serve().await;
    let root = tempfile::tempdir().unwrap();
    let node = Node::start(
        root.path(),
        "in-flight",
        &[
            ("CAIRN_FORWARD_ALLOW_PRIVATE_TARGETS", "true"),
            ("CAIRN_FORWARD_IN_FLIGHT", "4"),
            ("CAIRN_FORWARD_BACKOFF_INITIAL_MS", "50"),
            ("CAIRN_FORWARD_BACKOFF_MAX_MS", "200"),
            ("CAIRN_FORWARD_RETRY_MAX_ATTEMPTS", "100000"),
        ],
    )
    .await;
    // Created paused, so that all 40 statements are in the log when it starts.
    let (s, f) = node
        .admin(
            Method::POST,
            &format!("/stores/{DEFAULT_STORE}/forwarders"),
            Some(json!({
                "name": "window",
                "batch_size": 10,
                "enabled": false,
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
    let ids: Vec<String> = (0..40).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let body = ids
        .iter()
        .map(|id| statement(id, "http://example.com/verbs/windowed"))
        .collect();
    assert_eq!(node.post(&Value::Array(body)).await, 200);
    let start = node.forwarder(&fid).await["status"]["cursor"]
        .as_u64()
        .unwrap();

    // The first batch (its first statement) is refused with a 503 until further notice.
    *receiver.refuse.lock().unwrap() = Some(ids[0].clone());
    let (s, v) = node
        .admin(Method::PATCH, &fpath, Some(json!({"enabled": true})))
        .await;
    assert_eq!(s, 200, "{v}");
    eventually(30, "the three later batches delivered", || async {
        let d: BTreeSet<String> = receiver.delivered().into_iter().collect();
        ids[10..].iter().all(|id| d.contains(id))
    })
    .await;
    eventually(30, "the first batch tried again", || async {
        receiver.got().iter().filter(|r| r.answered == 503).count() >= 3
    })
    .await;
    let delivered = receiver.delivered();
    assert!(
        ids[..10].iter().all(|id| !delivered.contains(id)),
        "the first batch is not acknowledged yet"
    );
    let st = node.forwarder(&fid).await["status"].clone();
    assert_eq!(
        st["cursor"].as_u64(),
        Some(start),
        "the cursor does not pass an unacknowledged batch: {st}"
    );
    assert_eq!(st["lag_statements"], 40, "{st}");
    assert!(st["consecutive_failures"].as_u64().unwrap() >= 1, "{st}");
    assert_eq!(st["last_error"]["status"], 503, "{st}");

    // The target accepts it: everything is there, and the cursor reaches the end of the log.
    *receiver.refuse.lock().unwrap() = None;
    eventually(30, "caught up", || async {
        let st = node.forwarder(&fid).await["status"].clone();
        st["lag_statements"] == 0 && st["cursor"] == st["head"]
    })
    .await;
    let d: BTreeSet<String> = receiver.delivered().into_iter().collect();
    assert!(ids.iter().all(|id| d.contains(id)), "every statement sent");
    let st = node.forwarder(&fid).await["status"].clone();
    assert_eq!(st["consecutive_failures"], 0, "{st}");
    assert_eq!(st["dead_letters"], 0, "{st}");
    assert_eq!(st["delivered"], 40, "{st}");
}
