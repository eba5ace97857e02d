//! Metrics, request ids and health on a served node: `/metrics` scraped from its own listener
//! after real traffic, `x-request-id` echoed or generated, and `/health/ready` turning not ready
//! while ClickHouse is cut off (through a TCP relay the test controls) and ready again after.
mod common;

use common::{TestServer, statement, test_config, uuid};
use reqwest::Method;
use std::time::Duration;
use tokio::sync::watch;

async fn scrape(s: &TestServer) -> String {
    let addr = s.metrics.expect("metrics are served");
    let res = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"),
    );
    res.text().await.unwrap()
}

/// The value of the first series whose line starts with `prefix` (name and labels).
fn value(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn metrics_are_served_on_their_own_listener_after_traffic() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = test_config(dir.path());
    cfg.metrics_addr = "127.0.0.1:0".to_owned().try_into().unwrap();
    let s = TestServer::start_with(cfg, dir).await;
    let addr = s.metrics.expect("metrics are served");
    assert_ne!(addr.port(), 0, "the bound port is reported");

    let verb = format!("http://example.com/verbs/{}", uuid());
    for _ in 0..3 {
        let res = s
            .post(serde_json::json!([statement(
                &verb,
                "http://example.com/a"
            )]))
            .await;
        assert_eq!(res.status(), 200);
    }
    let ids: Vec<String> = s
        .post(serde_json::json!([statement(
            &verb,
            "http://example.com/b"
        )]))
        .await
        .json()
        .await
        .unwrap();
    s.wait_projected(&format!("verb = '{verb}'"), 4).await;
    // The checkpoint moves once the insert has returned (and been measured).
    let mut projected = false;
    for _ in 0..200 {
        let text = scrape(&s).await;
        let head = value(&text, "cairn_log_sequence");
        if head.is_some() && value(&text, "cairn_projection_checkpoint") == head {
            projected = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(projected, "the checkpoint reached the log's head");
    // By id twice (the second from the hot cache), then a filtered read (the key index).
    for _ in 0..2 {
        s.get_json(&format!("/xapi/statements?statementId={}", ids[0]))
            .await;
    }
    let filtered = format!("/xapi/statements?verb={}", urlencode(&verb));
    assert_eq!(
        s.get_json(&filtered).await["statements"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    // A path no route serves is counted under one label, not its own.
    let res = s
        .http
        .get(format!("{}/xapi/nope/{}", s.base, uuid()))
        .send()
        .await;
    assert_eq!(res.unwrap().status(), 404);

    let text = scrape(&s).await;
    let posts = value(
        &text,
        r#"cairn_http_requests_total{method="POST",route="/xapi/statements",status="200"}"#,
    );
    assert!(posts.is_some_and(|n| n >= 4.0), "{text}");
    assert!(
        text.contains(r#"cairn_http_request_duration_seconds_bucket{method="GET",route="/xapi/statements",le="0.005"}"#),
        "latency histograms by route: {text}"
    );
    assert!(text.contains(r#"route="unmatched",status="404""#), "{text}");
    assert!(
        !text.contains("/xapi/nope"),
        "raw paths never become labels"
    );
    for series in [
        "cairn_writer_group_requests_bucket{le=\"1\"}",
        "cairn_writer_commit_seconds_count",
        "cairn_clickhouse_request_duration_seconds_count{op=\"insert\"}",
        "cairn_statement_queries_total{source=\"key_index\"}",
        "cairn_statement_cache_lookups_total{result=\"hit\"}",
    ] {
        assert!(
            value(&text, series).is_some_and(|n| n >= 1.0),
            "{series} missing or zero:\n{text}"
        );
    }
    for gauge in [
        "cairn_projection_lag_statements",
        "cairn_projection_lag_seconds",
        "cairn_projection_checkpoint",
        "cairn_log_sequence",
        "cairn_store_failed",
    ] {
        assert!(value(&text, gauge).is_some(), "{gauge} missing:\n{text}");
    }
    assert!(value(&text, "cairn_log_sequence").unwrap() >= 4.0);
    assert_eq!(value(&text, "cairn_store_failed"), Some(0.0));
    assert!(text.contains("# HELP cairn_http_requests_total"), "{text}");
    dashboard_queries_known_series(&text);
}

/// Every series the sample Grafana dashboard queries is one the node exports.
fn dashboard_queries_known_series(scraped: &str) {
    let path = cairn_testkit::repo_root().join("deploy/grafana/cairn.json");
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut queried = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let expr = target["expr"].as_str().unwrap();
            let mut rest = expr;
            while let Some(at) = rest.find("cairn_") {
                let name: String = rest[at..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                rest = &rest[at + name.len()..];
                queried.push(name);
            }
        }
    }
    assert!(queried.len() > 10, "{queried:?}");
    for name in queried {
        assert!(
            scraped.lines().any(|l| l.starts_with(&name)),
            "the dashboard queries {name}, which /metrics does not export"
        );
    }
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn requests_carry_an_id_echoed_on_the_response() {
    let s = TestServer::start().await;
    let res = s
        .req(Method::GET, "/xapi/about")
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "trace-me-42");
    let res = s.req(Method::GET, "/xapi/about").send().await.unwrap();
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "a generated id: {id}");
    let res = s
        .http
        .get(format!("{}/no-such", s.base))
        .send()
        .await
        .unwrap();
    assert!(res.headers().contains_key("x-request-id"), "on errors too");
}

/// A TCP relay to ClickHouse that the test can cut (refusing new connections and closing open
/// ones) and restore.
struct Relay {
    url: String,
    cut: watch::Sender<bool>,
}

async fn relay(upstream: &str) -> Relay {
    let target = upstream
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (cut, cut_rx) = watch::channel(false);
    tokio::spawn(async move {
        loop {
            let Ok((mut inbound, _)) = listener.accept().await else {
                return;
            };
            if *cut_rx.borrow() {
                continue; // dropped: the connection is closed at once
            }
            let target = target.clone();
            let mut cut_rx = cut_rx.clone();
            tokio::spawn(async move {
                let Ok(mut out) = tokio::net::TcpStream::connect(&target).await else {
                    return;
                };
                tokio::select! {
                    _ = tokio::io::copy_bidirectional(&mut inbound, &mut out) => {}
                    _ = cut_rx.wait_for(|c| *c) => {}
                }
            });
        }
    });
    Relay { url, cut }
}

async fn ready(s: &TestServer) -> (u16, serde_json::Value) {
    let res = s
        .http
        .get(format!("{}/health/ready", s.base))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

async fn wait_ready(s: &TestServer, want: u16) -> serde_json::Value {
    let mut last = serde_json::Value::Null;
    for _ in 0..200 {
        let (status, body) = ready(s).await;
        if status == want {
            return body;
        }
        last = body;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("/health/ready never answered {want}; last: {last}");
}

#[tokio::test]
async fn ready_follows_clickhouse_reachability_and_projection_lag() {
    let relay = relay(cairn_testkit::server_url()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = test_config(dir.path());
    cfg.clickhouse_url = relay.url.clone();
    cfg.ready_clickhouse_timeout_ms = 500;
    cfg.ready_max_lag_seconds = 1;
    let s = TestServer::start_with(cfg, dir).await;

    let res = s
        .http
        .get(format!("{}/health/live", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap()["status"],
        "live"
    );
    let body = wait_ready(&s, 200).await;
    assert_eq!(body["status"], "ready");
    assert_eq!(body["store"]["ok"], true);
    assert_eq!(body["clickhouse"]["ok"], true);
    assert_eq!(body["projection"]["ok"], true);
    assert_eq!(body["projection"]["max_lag_seconds"], 1);

    // ClickHouse out of reach: not ready, and the report says why.
    relay.cut.send_replace(true);
    let verb = format!("http://example.com/verbs/{}", uuid());
    let res = s
        .post(serde_json::json!([statement(
            &verb,
            "http://example.com/a"
        )]))
        .await;
    assert_eq!(res.status(), 200, "writes are acknowledged from the log");
    let body = wait_ready(&s, 503).await;
    assert_eq!(body["status"], "not_ready");
    assert_eq!(body["clickhouse"]["ok"], false);
    assert!(body["clickhouse"]["error"].as_str().is_some(), "{body}");
    assert_eq!(body["store"]["ok"], true, "the store is fine");
    // The unprojected statement waits past the threshold.
    let mut stale = false;
    for _ in 0..100 {
        let (_, body) = ready(&s).await;
        if body["projection"]["ok"] == false {
            assert!(body["projection"]["lag_statements"].as_u64() >= Some(1));
            assert!(body["projection"]["lag_seconds"].as_f64() > Some(1.0));
            stale = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(stale, "the lag check failed in time");

    // Back: the projector catches up and the node is ready again.
    relay.cut.send_replace(false);
    let body = wait_ready(&s, 200).await;
    assert_eq!(body["projection"]["lag_statements"], 0);
    s.wait_projected(&format!("verb = '{verb}'"), 1).await;
}

/// Refusals by a rate limit are counted by the limit that refused: here the failed
/// authentications of one client key, then the requests of one client.
#[tokio::test]
async fn rate_limit_refusals_are_counted_by_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = test_config(dir.path());
    cfg.metrics_addr = "127.0.0.1:0".to_owned().try_into().unwrap();
    cfg.auth_failures_per_minute = 2;
    cfg.rate_limit_client_per_second = 1;
    cfg.rate_limit_client_burst = 3;
    let s = TestServer::start_with(cfg, dir).await;
    let count = |text: &str, limit: &str| {
        value(
            text,
            &format!("cairn_rate_limited_total{{limit=\"{limit}\"}}"),
        )
        .unwrap_or(-1.0)
    };
    let before = scrape(&s).await;
    for limit in cairn_http::limits::LIMIT_NAMES {
        assert!(
            count(&before, limit) >= 0.0,
            "{limit} is exported from the start"
        );
    }
    let key = format!("guess-{}", uuid());
    let mut refused = 0;
    for _ in 0..4 {
        let res = reqwest::Client::new()
            .get(format!("{}/xapi/statements?limit=1", s.base))
            .basic_auth(&key, Some("wrong-secret-wrong-secret"))
            .header("X-Experience-API-Version", "1.0.3")
            .send()
            .await
            .unwrap();
        if res.status() == 429 {
            refused += 1;
        }
    }
    let mut too_fast = 0;
    for _ in 0..6 {
        if s.req(Method::GET, "/xapi/statements?limit=1")
            .send()
            .await
            .unwrap()
            .status()
            == 429
        {
            too_fast += 1;
        }
    }
    assert!(refused >= 1 && too_fast >= 1, "{refused} {too_fast}");
    let after = scrape(&s).await;
    let grew = |limit: &str| count(&after, limit) - count(&before, limit);
    assert!(grew("auth_failures_key") >= refused as f64, "{after}");
    assert!(grew("client") >= too_fast as f64, "{after}");
}
