//! Cluster mode: Cairn nodes sharing one event log on a real three-server NATS JetStream
//! cluster (loopback). Every rule the single writer keeps holds across nodes.
mod cluster;
mod common;

use cluster::nats::NatsCluster;
use common::{TestServer, test_config};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

/// A node in cluster mode on the given NATS servers, with its own data directory and its own
/// ClickHouse database.
async fn node(nats: &NatsCluster) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = test_config(dir.path());
    cfg.log_backend = cairn_server::config::LogBackend::Jetstream;
    cfg.nats_urls = nats.urls();
    cfg.jetstream_follow_interval_ms = 200;
    TestServer::start_with(cfg, dir).await
}

fn statement(id: &str, verb: &str) -> serde_json::Value {
    json!({
        "id": id,
        "actor": {"mbox": "mailto:cluster@example.com"},
        "verb": {"id": format!("http://example.com/verbs/{verb}")},
        "object": {"id": "http://example.com/act/cluster"},
    })
}

/// Waits until `node` serves the statement `id`.
async fn wait_readable(node: &TestServer, id: &str) -> serde_json::Value {
    for _ in 0..200 {
        let res = node
            .req(Method::GET, &format!("/xapi/statements?statementId={id}"))
            .send()
            .await
            .unwrap();
        if res.status() == 200 {
            return res.json().await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("statement {id} never became readable on {}", node.base);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn statements_posted_to_one_node_are_read_on_the_others() {
    let nats = NatsCluster::start(18420);
    let a = node(&nats).await;
    let b = node(&nats).await;
    let id = common::uuid();
    let res = a.post(statement(&id, "crossed")).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let got = wait_readable(&b, &id).await;
    assert_eq!(got["verb"]["id"], "http://example.com/verbs/crossed");
    // By filter too: B's tail and projection hold A's statement.
    let page = b
        .get_json("/xapi/statements?verb=http%3A%2F%2Fexample.com%2Fverbs%2Fcrossed")
        .await;
    let ids: Vec<&str> = page["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![id.as_str()]);
    // And the other way round.
    let back = common::uuid();
    assert_eq!(b.post(statement(&back, "returned")).await.status(), 200);
    wait_readable(&a, &back).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_id_posted_to_two_nodes_at_once_is_accepted_once() {
    let nats = NatsCluster::start(18430);
    let a = node(&nats).await;
    let b = node(&nats).await;
    for round in 0..20 {
        let id = common::uuid();
        let (ra, rb) = tokio::join!(
            a.post(statement(&id, "from-a")),
            b.post(statement(&id, "from-b"))
        );
        let mut codes = [ra.status().as_u16(), rb.status().as_u16()];
        codes.sort();
        assert_eq!(codes, [200, 409], "round {round}");
        let winner = if ra.status() == 200 {
            "from-a"
        } else {
            "from-b"
        };
        for n in [&a, &b] {
            let got = wait_readable(n, &id).await;
            assert_eq!(
                got["verb"]["id"],
                format!("http://example.com/verbs/{winner}"),
                "round {round}"
            );
        }
    }
    // The log holds each id once: both nodes list the same 20 statements.
    let all = a.get_json("/xapi/statements?limit=50").await;
    assert_eq!(all["statements"].as_array().unwrap().len(), 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn document_compare_and_set_holds_across_nodes() {
    let nats = NatsCluster::start(18440);
    let a = node(&nats).await;
    let b = node(&nats).await;
    let path = "/xapi/activities/state?activityId=http%3A%2F%2Fexample.com%2Fa&agent=%7B%22mbox%22%3A%22mailto%3Ad%40example.com%22%7D&stateId=s";
    let put = |n: &TestServer, body: serde_json::Value, etag: Option<String>| {
        let mut r = n.req(Method::PUT, path).json(&body);
        if let Some(e) = etag {
            r = r.header("If-Match", e);
        }
        r.send()
    };
    assert_eq!(put(&a, json!({"v": 0}), None).await.unwrap().status(), 204);
    for round in 1..=10 {
        // Both nodes read the same version, then both write on its condition: one wins.
        let mut etag = None;
        for _ in 0..200 {
            let res = b.req(Method::GET, path).send().await.unwrap();
            if res.status() == 404 {
                // B has not applied A's first write yet.
                tokio::time::sleep(Duration::from_millis(25)).await;
                continue;
            }
            let tag = res.headers()["etag"].to_str().unwrap().to_owned();
            let body: serde_json::Value = res.json().await.unwrap();
            if body["v"] == round - 1 {
                etag = Some(tag);
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let etag = etag.expect("B sees the last version");
        let (ra, rb) = tokio::join!(
            put(&a, json!({"v": round, "by": "a"}), Some(etag.clone())),
            put(&b, json!({"v": round, "by": "b"}), Some(etag))
        );
        let mut codes = [ra.unwrap().status().as_u16(), rb.unwrap().status().as_u16()];
        codes.sort();
        assert_eq!(codes, [204, 412], "round {round}");
    }
}

/// nats-server refuses a message over its `max_payload`: a group whose write set would be
/// larger is committed in parts, so concurrent batches that together exceed it are all
/// accepted; one request that alone exceeds it gets 413 saying so.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn groups_stay_under_the_largest_message_the_log_takes() {
    let nats = NatsCluster::start_with(18490, "max_payload: 65536");
    let a = node(&nats).await;
    let batch = |n: usize| -> (Vec<String>, serde_json::Value) {
        let ids: Vec<String> = (0..n).map(|_| uuid::Uuid::new_v4().to_string()).collect();
        let body = ids
            .iter()
            .map(|id| {
                let mut s = statement(id, "sized");
                s["result"] = json!({"response": "x".repeat(1500)});
                s
            })
            .collect();
        (ids, serde_json::Value::Array(body))
    };
    // 24 requests of 12 statements at once: each fits in a message, the groups they form do not.
    let mut posts = tokio::task::JoinSet::new();
    let mut all = Vec::new();
    for _ in 0..24 {
        let (ids, body) = batch(12);
        all.extend(ids);
        posts.spawn(a.req(Method::POST, "/xapi/statements").json(&body).send());
    }
    while let Some(res) = posts.join_next().await {
        let res = res.unwrap().unwrap();
        let status = res.status();
        assert_eq!(status, 200, "{}", res.text().await.unwrap());
    }
    for id in &all {
        let res = a
            .req(Method::GET, &format!("/xapi/statements?statementId={id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{id}");
    }
    // 40 statements of 1.5 KB cannot fit in one 64 KiB message.
    let (_, body) = batch(40);
    let res = a
        .req(Method::POST, "/xapi/statements")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let text = res.text().await.unwrap();
    assert!(text.contains("max_payload"), "{text}");
}

/// Projection partitions keep one lease record each in the lease bucket: a compare-and-set on
/// one key never conflicts with, or is satisfied by, another key's revisions.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_partitions_lease_is_a_record_of_its_own() {
    use cairn_core::projection_lease::partition::lease_key;
    use cairn_core::projection_lease::{CasError, LeaseStore};
    let nats = NatsCluster::start(18690);
    let log = cairn_nats::JetStreamLog::connect(&cairn_nats::JetStreamConfig {
        urls: nats.urls(),
        stream: "partitions".into(),
        replicas: 3,
        timeout: Duration::from_secs(5),
    })
    .await
    .unwrap();
    let all = log.lease(3).await.unwrap();
    let (p0, p1) = (all.for_key(&lease_key(0, 4)), all.for_key(&lease_key(1, 4)));
    let r0 = p0.create(b"a".to_vec()).await.unwrap();
    let r1 = p1.create(b"b".to_vec()).await.unwrap();
    assert!(matches!(
        p0.create(b"c".to_vec()).await,
        Err(CasError::Conflict)
    ));
    let r0 = p0.update(b"d".to_vec(), r0).await.unwrap();
    // Partition 1's revision is still its latest, though the bucket has moved on.
    let r1 = p1.update(b"e".to_vec(), r1).await.unwrap();
    assert!(matches!(
        p0.update(b"f".to_vec(), r1).await,
        Err(CasError::Conflict)
    ));
    assert_eq!(p0.read().await.unwrap(), Some((b"d".to_vec(), r0)));
    assert_eq!(p1.read().await.unwrap(), Some((b"e".to_vec(), r1)));
    assert_eq!(
        all.read().await.unwrap(),
        None,
        "the single lease's key is untouched"
    );
}
