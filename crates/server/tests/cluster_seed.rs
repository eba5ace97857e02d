//! Moving a single-node installation into a cluster (`cairn cluster-seed`): a single node's data
//! directory is appended to a new cluster's empty JetStream log (three real nats-servers), and
//! cluster nodes started with empty data directories then serve everything the single node held,
//! as it served it, and go on taking writes after it.
mod cluster;
mod common;

use cluster::nats::NatsCluster;
use common::{TestServer, statement, test_config, uuid};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

fn cluster_config(dir: &std::path::Path, nats: &NatsCluster) -> cairn_server::config::Config {
    let mut cfg = test_config(dir);
    cfg.log_backend = cairn_server::config::LogBackend::Jetstream;
    cfg.nats_urls = nats.urls();
    cfg.jetstream_follow_interval_ms = 200;
    cfg
}

/// What a client reads back of the single node, to compare with the cluster's answers.
struct Held {
    statements: Vec<(String, Value)>,
    voided: String,
    document: (String, Option<String>),
}

async fn fill(single: &TestServer) -> Held {
    let mut statements = Vec::new();
    for i in 0..40 {
        let id = uuid();
        let mut s = statement(
            &format!("http://example.com/verbs/v{}", i % 4),
            &format!("http://example.com/act/a{}", i % 7),
        );
        s["id"] = json!(id);
        assert_eq!(single.post(s).await.status(), 200);
        statements.push(id);
    }
    let voided = statements.remove(0);
    let voiding = json!({
        "actor": {"mbox": "mailto:admin@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": voided},
    });
    assert_eq!(single.post(voiding).await.status(), 200);
    let doc_path = "/xapi/activities/state?activityId=http%3A%2F%2Fexample.com%2Fa&\
                    agent=%7B%22mbox%22%3A%22mailto%3Ad%40example.com%22%7D&stateId=s1";
    let put = single
        .req(Method::PUT, doc_path)
        .header("Content-Type", "application/json")
        .body(r#"{"progress": 0.5}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 204);
    let doc = single.req(Method::GET, doc_path).send().await.unwrap();
    let etag = doc
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_owned());
    let mut held = Vec::new();
    for id in statements {
        let body = single
            .get_json(&format!("/xapi/statements?statementId={id}"))
            .await;
        held.push((id, body));
    }
    Held {
        statements: held,
        voided,
        document: (doc_path.to_owned(), etag),
    }
}

/// Waits until `node` serves `path` with 200.
async fn wait_ok(node: &TestServer, path: &str) -> Value {
    for _ in 0..400 {
        let res = node.req(Method::GET, path).send().await.unwrap();
        if res.status() == 200 {
            return res.json().await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{path} never answered 200 on {}", node.base);
}

async fn check_serves(node: &TestServer, held: &Held) {
    for (id, body) in &held.statements {
        let got = wait_ok(node, &format!("/xapi/statements?statementId={id}")).await;
        assert_eq!(&got, body, "statement {id} as the single node served it");
    }
    let gone = node
        .req(
            Method::GET,
            &format!("/xapi/statements?statementId={}", held.voided),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404, "the voided statement stays voided");
    let voided = wait_ok(
        node,
        &format!("/xapi/statements?voidedStatementId={}", held.voided),
    )
    .await;
    assert_eq!(voided["id"], json!(held.voided));
    let (path, etag) = &held.document;
    let doc = node.req(Method::GET, path).send().await.unwrap();
    assert_eq!(doc.status(), 200);
    assert_eq!(
        doc.headers()
            .get("etag")
            .map(|v| v.to_str().unwrap().to_owned()),
        *etag
    );
    assert_eq!(doc.json::<Value>().await.unwrap(), json!({"progress": 0.5}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_single_node_moves_into_a_cluster() {
    let single = TestServer::start().await;
    let held = fill(&single).await;
    let (single_cfg, single_dir) = single.stop().await;

    let nats = NatsCluster::start(18480);
    let seed_dir = tempfile::tempdir().unwrap();
    let seed_cfg = cluster_config(seed_dir.path(), &nats);
    let summary = cairn_server::cluster_seed::seed(&seed_cfg, &single_cfg.data_dir, 1)
        .await
        .expect("seeding an empty stream");
    // 40 statements, the voiding one, the document and the first start's tenancy events.
    assert!(summary.events >= 42, "{summary:?}");
    // 1 KiB messages: the state and the log take many, each continuing the one before.
    assert!(summary.write_sets > 10, "{summary:?}");

    let dir_b = tempfile::tempdir().unwrap();
    let b = TestServer::start_with(cluster_config(dir_b.path(), &nats), dir_b).await;
    check_serves(&b, &held).await;
    let dir_c = tempfile::tempdir().unwrap();
    let c = TestServer::start_with(cluster_config(dir_c.path(), &nats), dir_c).await;
    check_serves(&c, &held).await;

    // The cluster goes on after the seeded history: a new statement through one node is read
    // on the other, and ClickHouse holds every statement once.
    let id = uuid();
    let mut s = statement(
        "http://example.com/verbs/after",
        "http://example.com/act/seeded",
    );
    s["id"] = json!(id);
    assert_eq!(b.post(s).await.status(), 200);
    wait_ok(&c, &format!("/xapi/statements?statementId={id}")).await;
    let all = held.statements.len() as u64 + 3;
    c.wait_projected("1", all).await;
    assert_eq!(c.clickhouse_count("1").await, all);

    // A second seeding finds writes in the stream and appends nothing.
    let again = cairn_server::cluster_seed::seed(&seed_cfg, &single_cfg.data_dir, 1)
        .await
        .expect_err("a stream with writes is refused");
    assert!(
        again.to_string().contains("already holds writes"),
        "{again:#}"
    );
    drop(single_dir);
}
