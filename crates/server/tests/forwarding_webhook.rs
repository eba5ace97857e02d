//! Forwarding to a webhook, with a real `cairn` process and a receiver in the test that drops
//! connections, answers 500, 429 with Retry-After, hangs past the request timeout, and then
//! accepts; every request's HMAC-SHA256 signature is checked. A 400 sends the batch to the
//! dead letters with the target's answer; after the target recovers, the dead letter is
//! retried through the API and delivered; another is discarded. The status and the metrics show
//! what happened.
#[path = "forwarding/node.rs"]
mod node;
#[path = "forwarding/receiver.rs"]
mod receiver;

use node::*;
use receiver::{Act, Received, Receiver};
use reqwest::Method;
use serde_json::{Value, json};

const HOOK_SECRET: &str = "webhook-secret-0123456789";

fn signature_ok(r: &Received) -> bool {
    receiver::signed_with(r, HOOK_SECRET)
}

fn batch(n: usize) -> (Vec<String>, Value) {
    let ids: Vec<String> = (0..n).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let body = ids
        .iter()
        .map(|id| statement(id, "http://example.com/verbs/hooked"))
        .collect();
    (ids, Value::Array(body))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn webhook_retries_signs_dead_letters_and_recovers() {
    let receiver = Receiver::default();
    receiver.script.lock().unwrap().extend([
        Act::Drop,
        Act::Status(500, "boom"),
        Act::TooMany,
        Act::Hang,
    ]);
    let hook_port = receiver.clone().serve().await;
    let metrics_port = free_port().to_string();
    let metrics_addr = format!("127.0.0.1:{metrics_port}");
    let root = tempfile::tempdir().unwrap();
    let node = Node::start(
        root.path(),
        "hooked",
        &[
            ("CAIRN_FORWARD_ALLOW_PRIVATE_TARGETS", "true"),
            ("CAIRN_FORWARD_BACKOFF_INITIAL_MS", "50"),
            ("CAIRN_FORWARD_BACKOFF_MAX_MS", "1500"),
            ("CAIRN_FORWARD_REQUEST_TIMEOUT_MS", "1000"),
            ("CAIRN_METRICS_ADDR", &metrics_addr),
        ],
    )
    .await;
    let (s, f) = node
        .admin(
            Method::POST,
            &format!("/stores/{DEFAULT_STORE}/forwarders"),
            Some(json!({
                "name": "hook",
                "batch_size": 50,
                "target": {
                    "type": "webhook",
                    "url": format!("http://127.0.0.1:{hook_port}/in"),
                    "secret": HOOK_SECRET,
                    "headers": [{"name": "X-Tenant", "value": "t-secret-value"}],
                },
            })),
        )
        .await;
    assert_eq!(s, 201, "{f}");
    assert!(!f.to_string().contains(HOOK_SECRET) && !f.to_string().contains("t-secret-value"));
    let fid = f["id"].as_str().unwrap().to_owned();
    let fpath = format!("/stores/{DEFAULT_STORE}/forwarders/{fid}");

    // Dropped, 500, 429, hung: then delivered, once acknowledged.
    let (first, body) = batch(5);
    assert_eq!(node.post(&body).await, 200);
    eventually(60, "the first batch delivered", || async {
        receiver.delivered().len() >= 5
    })
    .await;
    let got = receiver.got();
    assert!(got.len() >= 5, "{} requests", got.len());
    assert!(got.iter().all(signature_ok), "every request is signed");
    assert!(
        got.iter()
            .all(|r| r.headers.get("x-tenant").map(String::as_str) == Some("t-secret-value"))
    );
    let keys: std::collections::BTreeSet<_> = got
        .iter()
        .map(|r| r.headers["idempotency-key"].clone())
        .collect();
    assert_eq!(
        keys.len(),
        1,
        "every try of a batch has the same idempotency key"
    );
    let delivered = receiver.delivered();
    assert_eq!(delivered, first, "in log order");
    let v: Value = serde_json::from_slice(&got.last().unwrap().body).unwrap();
    assert_eq!(v["forwarder"], fid.as_str());
    assert_eq!(
        v["idempotency_key"],
        got[0].headers["idempotency-key"].as_str()
    );
    let st = node.forwarder(&fid).await["status"].clone();
    assert_eq!(st["consecutive_failures"], 0, "{st}");
    assert!(st["last_success"].is_string(), "{st}");
    assert!(
        st["last_error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{st}"
    );

    // A 400 that retrying cannot fix: straight to the dead letters, with the target's answer.
    receiver.set_default(Act::Status(400, "bad batch: nope"));
    let (second, body) = batch(3);
    assert_eq!(node.post(&body).await, 200);
    eventually(30, "a dead letter", || async {
        node.forwarder(&fid).await["status"]["dead_letters"] == 1
    })
    .await;
    let st = node.forwarder(&fid).await["status"].clone();
    assert_eq!(st["last_error"]["status"], 400, "{st}");
    assert!(
        st["last_error"]["message"]
            .as_str()
            .unwrap()
            .contains("bad batch"),
        "{st}"
    );
    let (s, dl) = node
        .admin(Method::GET, &format!("{fpath}/dead-letters"), None)
        .await;
    assert_eq!(s, 200);
    let items = dl["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{dl}");
    assert_eq!(items[0]["status"], 400);
    assert_eq!(items[0]["attempts"], 1, "a 400 is not retried");
    assert_eq!(items[0]["seqs"].as_array().unwrap().len(), 3);
    let dead = items[0]["id"].as_str().unwrap().to_owned();

    // Retrying while the target still refuses keeps it, with the new answer.
    let (s, r) = node
        .admin(
            Method::POST,
            &format!("{fpath}/dead-letters/{dead}/retry"),
            None,
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["delivered"], false);
    assert_eq!(r["dead_letter"]["attempts"], 2);

    // The target recovers: the retry delivers it, and it is gone.
    receiver.set_default(Act::Status(200, "ok"));
    let (s, r) = node
        .admin(
            Method::POST,
            &format!("{fpath}/dead-letters/{dead}/retry"),
            None,
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["delivered"], true, "{r}");
    let (_, dl) = node
        .admin(Method::GET, &format!("{fpath}/dead-letters"), None)
        .await;
    assert!(dl["items"].as_array().unwrap().is_empty(), "{dl}");
    let delivered = receiver.delivered();
    for id in &second {
        assert!(delivered.contains(id), "{id} delivered by the retry");
    }

    // Forwarding went on past the dead letter.
    let (third, body) = batch(2);
    assert_eq!(node.post(&body).await, 200);
    eventually(30, "later statements delivered", || async {
        let d = receiver.delivered();
        third.iter().all(|id| d.contains(id))
    })
    .await;

    // Another dead letter, discarded.
    receiver.set_default(Act::Status(422, "unprocessable"));
    let (_, body) = batch(1);
    assert_eq!(node.post(&body).await, 200);
    eventually(30, "a second dead letter", || async {
        node.forwarder(&fid).await["status"]["dead_letters"] == 1
    })
    .await;
    let (_, dl) = node
        .admin(Method::GET, &format!("{fpath}/dead-letters"), None)
        .await;
    let dead = dl["items"][0]["id"].as_str().unwrap().to_owned();
    let (s, _) = node
        .admin(
            Method::DELETE,
            &format!("{fpath}/dead-letters/{dead}"),
            None,
        )
        .await;
    assert_eq!(s, 204);
    let (s, _) = node
        .admin(
            Method::DELETE,
            &format!("{fpath}/dead-letters/{dead}"),
            None,
        )
        .await;
    assert_eq!(s, 404);
    assert_eq!(node.forwarder(&fid).await["status"]["dead_letters"], 0);

    // The metrics show the forwarder.
    let text = reqwest::get(format!("http://{metrics_addr}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for name in [
        "cairn_forward_lag_seconds",
        "cairn_forward_lag_log_entries",
        "cairn_forward_dead_letters",
        "cairn_forward_consecutive_failures",
        "cairn_forward_statements_total",
        "cairn_forward_failures_total",
    ] {
        assert!(
            text.lines()
                .any(|l| l.starts_with(name) && l.contains(&fid)),
            "{name} missing in /metrics"
        );
    }

    // Paused: statements wait (the lag shows them); resumed: they go.
    receiver.set_default(Act::Status(200, "ok"));
    let (s, v) = node
        .admin(Method::PATCH, &fpath, Some(json!({"enabled": false})))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["enabled"], false);
    let (waiting, body) = batch(2);
    assert_eq!(node.post(&body).await, 200);
    let st = node.forwarder(&fid).await["status"].clone();
    assert_eq!(st["lag_statements"], 2, "{st}");
    assert!(st["lag_seconds"].as_f64().unwrap() >= 0.0, "{st}");
    let (s, v) = node
        .admin(Method::PATCH, &fpath, Some(json!({"enabled": true})))
        .await;
    assert_eq!(s, 200, "{v}");
    eventually(30, "statements sent after resuming", || async {
        let d = receiver.delivered();
        waiting.iter().all(|id| d.contains(id))
    })
    .await;
    eventually(30, "no lag", || async {
        node.forwarder(&fid).await["status"]["lag_statements"] == 0
    })
    .await;

    // Deleting.
    let (s, _) = node.admin(Method::DELETE, &fpath, None).await;
    assert_eq!(s, 204);
    let (s, _) = node.admin(Method::GET, &fpath, None).await;
    assert_eq!(s, 404);
}
