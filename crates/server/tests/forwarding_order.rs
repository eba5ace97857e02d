//! Forwarding in log order, with a real `cairn` process and a webhook receiver, while the
//! forwarder has a backlog of several batches (`forward_in_flight` 4 read ahead): a batch is sent
//! only once the one before it was acknowledged, so a refused batch holds the later ones back
//! (and the cursor with them), and with slow, jittery answers, failures and dropped connections
//! the requests still reach the target in log order.
#[path = "forwarding/node.rs"]
mod node;
#[path = "forwarding/receiver.rs"]
mod receiver;

use node::*;
use receiver::{Act, Receiver};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};

/// A node forwarding to `receiver`, with `count` statements in the log before its paused
/// forwarder (batches of `batch`) starts: the node, the forwarder's path, the ids in log order,
/// and the cursor it starts from.
async fn backlog(
    root: &std::path::Path,
    receiver: &Receiver,
    count: usize,
    batch: u32,
) -> (Node, String, Vec<String>, u64) {
    let hook_port = receiver.clone().serve().await;
    let node = Node::start(
        root,
        "order",
        &[
            ("CAIRN_FORWARD_ALLOW_PRIVATE_TARGETS", "true"),
            ("CAIRN_FORWARD_IN_FLIGHT", "4"),
            ("CAIRN_FORWARD_BACKOFF_INITIAL_MS", "50"),
            ("CAIRN_FORWARD_BACKOFF_MAX_MS", "200"),
            ("CAIRN_FORWARD_RETRY_MAX_ATTEMPTS", "100000"),
        ],
    )
    .await;
    // Created paused, so that all the statements are in the log when it starts.
    let (s, f) = node
        .admin(
            Method::POST,
            &format!("/stores/{DEFAULT_STORE}/forwarders"),
            Some(json!({
                "name": "ordered",
                "batch_size": batch,
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
    let ids: Vec<String> = (0..count)
        .map(|_| uuid::Uuid::new_v4().to_string())
        .collect();
    // Several requests, so that the log holds several commits.
    for chunk in ids.chunks(7) {
        let body = chunk
            .iter()
            .map(|id| statement(id, "http://example.com/verbs/ordered"))
            .collect();
        assert_eq!(node.post(&Value::Array(body)).await, 200);
    }
    let start = node.forwarder(&fid).await["status"]["cursor"]
        .as_u64()
        .unwrap();
    (node, fid, ids, start)
}

async fn enable(node: &Node, fid: &str) {
    let path = format!("/stores/{DEFAULT_STORE}/forwarders/{fid}");
    let (s, v) = node
        .admin(Method::PATCH, &path, Some(json!({"enabled": true})))
        .await;
    assert_eq!(s, 200, "{v}");
}

async fn caught_up(node: &Node, fid: &str) {
    eventually(60, "caught up", || async {
        let st = node.forwarder(fid).await["status"].clone();
        st["lag_statements"] == 0 && st["cursor"] == st["head"]
    })
    .await;
}

/// Asserts that the requests arrived in log order: each request starts at or after the
/// previous one's start (a retry repeats a batch, never goes back), its statements are in log
/// order, and the first arrival of each statement, in order, is the whole log.
fn assert_log_order(receiver: &Receiver, ids: &[String]) {
    let pos: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let arrivals = receiver.arrivals();
    let mut last_start = 0;
    let mut first_seen = Vec::new();
    let mut seen = BTreeSet::new();
    for (n, req) in arrivals.iter().enumerate() {
        let at: Vec<usize> = req.iter().map(|id| pos[id.as_str()]).collect();
        assert!(
            at.windows(2).all(|w| w[0] < w[1]),
            "request {n} in order: {at:?}"
        );
        assert!(
            at[0] >= last_start,
            "request {n} starts at {} after {last_start}",
            at[0]
        );
        last_start = at[0];
        first_seen.extend(req.iter().filter(|id| seen.insert(id.to_string())).cloned());
    }
    assert_eq!(first_seen, ids, "the target saw the log in order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refused_batch_holds_back_the_ones_after_it() {
    let receiver = Receiver::default();
    let root = tempfile::tempdir().unwrap();
    let (node, fid, ids, start) = backlog(root.path(), &receiver, 40, 10).await;

    // The first batch (its first statement) is refused with a 503 until further notice.
    *receiver.refuse.lock().unwrap() = Some(ids[0].clone());
    enable(&node, &fid).await;
    eventually(30, "the first batch tried again", || async {
        receiver.got().iter().filter(|r| r.answered == 503).count() >= 3
    })
    .await;
    let arrivals = receiver.arrivals();
    assert!(
        arrivals.iter().all(|r| r.first() == Some(&ids[0])),
        "nothing after the refused batch was sent: {} requests",
        arrivals.len()
    );
    assert!(receiver.delivered().is_empty());
    let st = node.forwarder(&fid).await["status"].clone();
    assert_eq!(st["cursor"].as_u64(), Some(start), "{st}");
    assert_eq!(st["lag_statements"], 40, "{st}");
    assert!(st["consecutive_failures"].as_u64().unwrap() >= 1, "{st}");
    assert_eq!(st["last_error"]["status"], 503, "{st}");

    // The target accepts it: everything follows, in log order, once each.
    *receiver.refuse.lock().unwrap() = None;
    caught_up(&node, &fid).await;
    assert_log_order(&receiver, &ids);
    assert_eq!(
        receiver.delivered(),
        ids,
        "each statement acknowledged once, in order"
    );
    let st = node.forwarder(&fid).await["status"].clone();
    assert_eq!(st["consecutive_failures"], 0, "{st}");
    assert_eq!(st["dead_letters"], 0, "{st}");
    assert_eq!(st["delivered"], 40, "{st}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn slow_jittery_answers_and_failures_keep_log_order() {
    let receiver = Receiver::default();
    *receiver.jitter_ms.lock().unwrap() = 80;
    let root = tempfile::tempdir().unwrap();
    let (node, fid, ids, _) = backlog(root.path(), &receiver, 120, 5).await;
    // 24 batches; some answers fail (a 500, a 429, a dropped connection) along the way.
    {
        let mut script = receiver.script.lock().unwrap();
        for i in 0..30 {
            script.push_back(match i % 6 {
                1 => Act::Status(500, "busy"),
                3 => Act::Drop,
                4 if i < 10 => Act::TooMany,
                _ => Act::Status(200, "ok"),
            });
        }
    }
    enable(&node, &fid).await;
    // More statements while the backlog is being sent.
    let more: Vec<String> = (0..30).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    for chunk in more.chunks(3) {
        let body = chunk
            .iter()
            .map(|id| statement(id, "http://example.com/verbs/ordered"))
            .collect();
        assert_eq!(node.post(&Value::Array(body)).await, 200);
    }
    caught_up(&node, &fid).await;
    let all: Vec<String> = ids.iter().chain(&more).cloned().collect();
    assert_log_order(&receiver, &all);
    let failed = receiver.got().iter().filter(|r| r.answered != 200).count();
    assert!(failed >= 8, "the script's failures happened: {failed}");
    let st = node.forwarder(&fid).await["status"].clone();
    assert_eq!(st["dead_letters"], 0, "{st}");
    assert_eq!(st["delivered"], 150, "{st}");
}
