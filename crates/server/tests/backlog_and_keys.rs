//! Projection backlogs and filtered reads over the key table: a long backlog is projected at
//! start-up rather than held in memory, and a rare key pages through several rounds of
//! candidates from `statement_key_index`.
mod common;

use common::TestServer;
use serde_json::{Value, json};

fn ids_of(result: &Value) -> Vec<String> {
    result["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

fn percent_encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn a_long_backlog_is_projected_at_start_not_held_in_memory() {
    let s = TestServer::start().await;
    let batch: Vec<Value> = (0..300)
        .map(|i| {
            common::statement(
                "http://example.com/verbs/v",
                &format!("http://example.com/a/{i}"),
            )
        })
        .collect();
    assert_eq!(s.post(json!(batch)).await.status(), 200);
    s.wait_projected("1", 300).await;
    let (cfg, dir) = s.stop().await;
    // As if ClickHouse had been away for all 300: the checkpoint goes back to the start.
    let log = cairn_server::app::open_store(&cfg).unwrap();
    cairn_core::LogStore::meta_put(
        &*log,
        cairn_core::projector::CHECKPOINT_KEY,
        &0u64.to_be_bytes(),
    )
    .unwrap();
    let projection = cairn_server::app::projection(&cfg).await.unwrap();
    let tail = std::sync::Arc::new(cairn_core::tail::Tail::new(0));
    let projector = cairn_core::projector::Projector::new(
        log.clone(),
        projection,
        tail.clone(),
        cairn_core::projector::ProjectorConfig {
            batch_max: 50,
            recover_tail_max: 100,
            ..Default::default()
        },
    );
    let checkpoint = projector.recover().await.unwrap();
    assert!(checkpoint >= 200, "projected before serving: {checkpoint}");
    assert!(tail.len() <= 100, "the tail holds {}", tail.len());
    assert_eq!(tail.len() as u64 + checkpoint_statements(&cfg).await, 300);
    drop(dir);
}

/// Rows of the projection (each statement once), straight from ClickHouse.
async fn checkpoint_statements(cfg: &cairn_server::config::Config) -> u64 {
    let sql = format!(
        "SELECT count() FROM (SELECT seq FROM {}.statements GROUP BY seq)",
        cfg.clickhouse_database
    );
    let text = reqwest::Client::new()
        .post(&cfg.clickhouse_url)
        .body(sql)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.trim().parse().unwrap()
}

#[tokio::test]
async fn a_rare_key_pages_through_several_rounds_of_candidates() {
    let s = TestServer::start().await;
    let agent = json!({"objectType": "Agent", "mbox": "mailto:rare@example.com"});
    let mut expected = Vec::new();
    for b in 0..6 {
        let batch: Vec<Value> = (0..100)
            .map(|i| {
                let n = b * 100 + i;
                let verb = if n % 10 == 0 { "http://example.com/verbs/v" } else { "http://example.com/verbs/w" };
                json!({"actor": agent, "verb": {"id": verb}, "object": {"id": format!("http://example.com/a/{n}")}})
            })
            .collect();
        let res = s.post(json!(batch)).await;
        assert_eq!(res.status(), 200);
        let ids: Vec<String> = res.json().await.unwrap();
        expected.extend(
            ids.into_iter()
                .enumerate()
                .filter(|(i, _)| i % 10 == 0)
                .map(|(_, id)| id),
        );
    }
    s.wait_projected("1", 600).await;
    // 60 matches among 600 statements of the agent: each page needs several rounds of 256
    // candidates (page_max is 50 in tests).
    let q = format!(
        "/xapi/statements?agent={}&verb={}&limit=50",
        percent_encode(&agent.to_string()),
        percent_encode("http://example.com/verbs/v")
    );
    let first = s.get_json(&q).await;
    let mut got = ids_of(&first);
    assert_eq!(got.len(), 50);
    let more = first["more"].as_str().unwrap().to_owned();
    let second = s.get_json(&more).await;
    got.extend(ids_of(&second));
    expected.reverse();
    assert_eq!(got, expected, "newest first, each once");
}

/// Ingest faster than projection waits for it: with room for 5 unprojected statements and a
/// projector that lets batches fill for 5 s, a sixth write is refused with 503 and Retry-After
/// after its wait, is accepted once the projection catches up, and nothing is lost.
#[tokio::test]
async fn writes_wait_for_the_projection_when_the_backlog_is_full() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = cairn_server::config::Config {
        ingest_backlog_max: 5,
        ingest_backlog_wait_ms: 300,
        projector_linger_ms: 5_000,
        ..common::test_config(dir.path())
    };
    let s = TestServer::start_with(cfg, dir).await;
    let one = |i: usize| {
        common::statement(
            "http://example.com/verbs/v",
            &format!("http://example.com/bp/{i}"),
        )
    };
    for i in 0..5 {
        assert_eq!(s.post(one(i)).await.status(), 200, "statement {i}");
    }
    let refused = s.post(one(5)).await;
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "1");
    let body: Value = refused.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("retry"), "{message}");
    // Retried as its Retry-After says, the write goes through once the batch is projected.
    let mut accepted = false;
    for _ in 0..60 {
        if s.post(one(5)).await.status() == 200 {
            accepted = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert!(
        accepted,
        "the write is accepted once the projection has caught up"
    );
    let all = s.get_json("/xapi/statements?limit=50").await;
    assert_eq!(
        ids_of(&all).len(),
        6,
        "every acknowledged statement is there"
    );
}

/// The backlog is bounded by its memory too: with room for 1 MiB of unprojected statements,
/// statements of 200 KB (400 KB in memory) go through until 1 MiB of them wait, and the next is refused with
/// 503 naming the MiB waiting, until the projection catches up.
#[tokio::test]
async fn writes_wait_when_the_backlog_takes_its_memory_bound() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = cairn_server::config::Config {
        ingest_backlog_max: 1_000,
        ingest_backlog_mib: 1,
        ingest_backlog_wait_ms: 300,
        projector_linger_ms: 5_000,
        ..common::test_config(dir.path())
    };
    let s = TestServer::start_with(cfg, dir).await;
    let big = |i: usize| {
        let mut st = common::statement(
            "http://example.com/verbs/v",
            &format!("http://example.com/big/{i}"),
        );
        st["result"] = json!({"extensions": {"http://example.com/ext/blob": "x".repeat(200_000)}});
        st
    };
    let mut accepted = 0;
    let refused = loop {
        let res = s.post(big(accepted)).await;
        if res.status() != 200 {
            break res;
        }
        accepted += 1;
        assert!(accepted < 10, "2 MB accepted with room for 1 MiB");
    };
    assert_eq!(refused.status(), 503);
    let body: Value = refused.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    // Each statement takes about 400 KB: its 200 KB body, and the copy of its extension's value
    // that the projection's row is built from. 1 MiB holds two; a write is admitted while there
    // is room, so the third takes the backlog past the bound.
    assert_eq!(accepted, 3, "{message}");
    assert!(
        message.contains(&format!("{accepted} statements, 1 MiB waiting")),
        "{message}"
    );
    let mut later = false;
    for _ in 0..60 {
        if s.post(big(accepted)).await.status() == 200 {
            later = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert!(later, "accepted once the projection has caught up");
}
