//! Forwarding to another LRS, with real processes: a second Cairn is the target. The forwarding
//! server is killed with SIGKILL in the middle of delivery and restarted; every matching
//! statement (a voiding one included) reaches the target, none of the filtered-out ones does,
//! and the target holds each exactly once (ids are kept, so re-sent batches change nothing).
//! A replay from the start sends everything again without a single duplicate at the target.
#[path = "forwarding/node.rs"]
mod node;

use node::*;
use reqwest::Method;
use serde_json::{Value, json};

const KEEP: &str = "http://example.com/verbs/keep";
const DROP: &str = "http://example.com/verbs/drop";
const VOIDED: &str = "http://adlnet.gov/expapi/verbs/voided";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_second_cairn_gets_every_matching_statement_exactly_once_across_kill_9() {
    let root = tempfile::tempdir().unwrap();
    let target = Node::start(root.path(), "target", &[]).await;
    let mut source = Node::start(
        root.path(),
        "source",
        &[
            ("CAIRN_FORWARD_ALLOW_PRIVATE_TARGETS", "true"),
            ("CAIRN_FORWARD_BACKOFF_INITIAL_MS", "50"),
            ("CAIRN_FORWARD_BACKOFF_MAX_MS", "500"),
        ],
    )
    .await;
    let filter = json!({"or": [
        {"field": "verb", "eq": KEEP},
        {"field": "verb", "eq": VOIDED},
    ]});
    let (s, f) = source
        .admin(
            Method::POST,
            &format!("/stores/{DEFAULT_STORE}/forwarders"),
            Some(json!({
                "name": "to the target",
                "filter": filter,
                "batch_size": 5,
                "target": {
                    "type": "xapi",
                    "endpoint": format!("{}/xapi/", target.base()),
                    "version": "2.0.0",
                    "auth": {"type": "basic", "user": KEY, "password": SECRET},
                },
            })),
        )
        .await;
    assert_eq!(s, 201, "{f}");
    let fid = f["id"].as_str().unwrap().to_owned();
    // Secrets are write-only.
    assert!(!f.to_string().contains(SECRET), "{f}");
    assert_eq!(f["target"]["user"], KEY);

    let mut keep = Vec::new();
    let mut dropped = Vec::new();
    for round in 0..6 {
        for _ in 0..5 {
            let batch: Vec<Value> = (0..20)
                .map(|i| {
                    let id = uuid::Uuid::new_v4().to_string();
                    let verb = if i % 2 == 0 { KEEP } else { DROP };
                    if verb == KEEP {
                        keep.push(id.clone());
                    } else {
                        dropped.push(id.clone());
                    }
                    statement(&id, verb)
                })
                .collect();
            assert_eq!(source.post(&Value::Array(batch)).await, 200);
        }
        if round == 2 {
            // Mid-delivery: killed while the forwarder still has statements to send.
            let v = source.forwarder(&fid).await;
            assert!(
                v["status"]["lag_statements"].as_u64().unwrap() > 0,
                "statements were waiting when the server was killed: {v}"
            );
            source.kill_9_and_restart().await;
        }
    }
    // A voiding statement is forwarded like any other.
    let voiding = uuid::Uuid::new_v4().to_string();
    let void = json!({
        "id": voiding,
        "actor": {"objectType": "Agent", "mbox": "mailto:fwd@example.com"},
        "verb": {"id": VOIDED},
        "object": {"objectType": "StatementRef", "id": keep[0]},
    });
    assert_eq!(source.post(&json!([void])).await, 200);
    source.kill_9_and_restart().await;

    // Queries leave out the voided statement, and the voiding one matches the verb through
    // its StatementRef (xAPI): the same count of statements.
    let want = keep.len();
    eventually(120, "every kept statement at the target", || async {
        target.ids(&format!("verb={}", urlencode(KEEP))).await.len() >= want
    })
    .await;
    eventually(30, "the voiding statement at the target", || async {
        target.get_status(&format!("statementId={voiding}")).await == 200
    })
    .await;
    assert_eq!(
        target
            .get_status(&format!("voidedStatementId={}", keep[0]))
            .await,
        200,
        "the target voided the statement too"
    );
    let at_target = target.ids(&format!("verb={}", urlencode(KEEP))).await;
    assert_eq!(at_target.len(), want, "exactly once at the target");
    let unique: std::collections::BTreeSet<_> = at_target.iter().collect();
    assert_eq!(unique.len(), want);
    for id in keep[1..].iter().chain([&voiding]) {
        assert!(unique.contains(id), "{id} missing at the target");
    }
    assert!(
        target
            .ids(&format!("verb={}", urlencode(DROP)))
            .await
            .is_empty(),
        "filtered-out statements stay home"
    );

    // The status: caught up, successes, no dead letters.
    eventually(30, "the forwarder caught up", || async {
        let v = source.forwarder(&fid).await;
        v["status"]["lag_statements"] == 0 && v["status"]["cursor"] == v["status"]["head"]
    })
    .await;
    let v = source.forwarder(&fid).await;
    assert_eq!(v["status"]["dead_letters"], 0, "{v}");
    assert!(v["status"]["last_success"].is_string(), "{v}");

    // Replay from the first log position: everything again, still exactly once there.
    let (s, r) = source
        .admin(
            Method::POST,
            &format!("/stores/{DEFAULT_STORE}/forwarders/{fid}/replay"),
            Some(json!({"from_seq": 1})),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["cursor"], 0);
    eventually(60, "the replay caught up", || async {
        let v = source.forwarder(&fid).await;
        v["status"]["lag_statements"] == 0 && v["status"]["cursor"] == v["status"]["head"]
    })
    .await;
    let again = target.ids(&format!("verb={}", urlencode(KEEP))).await;
    assert_eq!(again.len(), want, "a replay adds no duplicate");
    // From a time: before everything is the start of the log; the future is its end.
    let (s, r) = source
        .admin(
            Method::POST,
            &format!("/stores/{DEFAULT_STORE}/forwarders/{fid}/replay"),
            Some(json!({"from_time": "2000-01-01T00:00:00Z"})),
        )
        .await;
    assert_eq!((s, r["cursor"].as_u64()), (200, Some(0)), "{r}");
    // The end of the log before the request (the request's own audit record comes after it).
    let head = source.forwarder(&fid).await["status"]["head"].clone();
    let (s, r) = source
        .admin(
            Method::POST,
            &format!("/stores/{DEFAULT_STORE}/forwarders/{fid}/replay"),
            Some(json!({"from_time": "2999-01-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["cursor"], head, "{r}");
    let (s, _) = source
        .admin(
            Method::POST,
            &format!("/stores/{DEFAULT_STORE}/forwarders/{fid}/replay"),
            Some(json!({"from_seq": 1, "from_time": "2020-01-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(s, 400, "one start only");
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_targets_are_refused_unless_allowed() {
    let root = tempfile::tempdir().unwrap();
    let node = Node::start(root.path(), "strict", &[]).await;
    for url in [
        "http://127.0.0.1:9/xapi/",
        "http://localhost:9/xapi/",
        "http://10.0.0.1/xapi/",
        "http://[::1]:9/xapi/",
    ] {
        let (s, v) = node
            .admin(
                Method::POST,
                &format!("/stores/{DEFAULT_STORE}/forwarders"),
                Some(json!({"name": url, "target": {"type": "xapi", "endpoint": url}})),
            )
            .await;
        assert_eq!(s, 400, "{url}: {v}");
        assert!(
            v.to_string().contains("forward_allow_private_targets"),
            "{url}: {v}"
        );
    }
    let (s, v) = node
        .admin(
            Method::POST,
            &format!("/stores/{DEFAULT_STORE}/forwarders"),
            Some(json!({"name": "bad", "target": {"type": "xapi", "endpoint": "ftp://x.example.com/"}})),
        )
        .await;
    assert_eq!(s, 400, "{v}");
    let (s, v) = node
        .admin(
            Method::POST,
            &format!("/stores/{DEFAULT_STORE}/forwarders"),
            Some(json!({"name": "bad", "target": {"type": "xapi", "endpoint": "https://x.example.com/", "version": "0.9"}})),
        )
        .await;
    assert_eq!(s, 400, "{v}");
}
