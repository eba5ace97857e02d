//! The document resources against a running node over real HTTP, including the
//! compare-and-set race between concurrent writers.
mod common;
use common::TestServer;
use reqwest::Method;

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn state_path(state_id: &str) -> String {
    format!(
        "/xapi/activities/state?activityId={}&agent={}&stateId={}",
        enc("http://example.com/act/doc"),
        enc(r#"{"objectType":"Agent","mbox":"mailto:doc@example.com"}"#),
        enc(state_id)
    )
}

#[tokio::test]
async fn state_round_trip_and_merge_over_http() {
    let s = TestServer::start().await;
    let path = state_path("bookmark");
    let res = s
        .req(Method::PUT, &path)
        .header("Content-Type", "application/json")
        .body(r#"{"page":1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = s
        .req(Method::POST, &path)
        .header("Content-Type", "application/json")
        .body(r#"{"chapter":2}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = s.req(Method::GET, &path).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("etag"));
    assert!(res.headers().contains_key("last-modified"));
    let doc: serde_json::Value = res.json().await.unwrap();
    assert_eq!(doc, serde_json::json!({"page": 1, "chapter": 2}));
    // Binary documents keep their bytes and Content-Type.
    let bin = s.req(Method::PUT, &state_path("blob"));
    let bytes: Vec<u8> = (0..=255u8).collect();
    let res = bin
        .header("Content-Type", "application/octet-stream")
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = s
        .req(Method::GET, &state_path("blob"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "application/octet-stream");
    assert_eq!(res.bytes().await.unwrap().to_vec(), bytes);
    // A merge into a non-JSON document is refused.
    let res = s
        .req(Method::POST, &state_path("blob"))
        .header("Content-Type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    s.stop().await;
}

#[tokio::test]
async fn concurrent_if_match_writers_have_exactly_one_winner() {
    let s = TestServer::start().await;
    let path = format!(
        "/xapi/activities/profile?activityId={}&profileId=race",
        enc("http://example.com/act/race")
    );
    let res = s
        .req(Method::PUT, &path)
        .header("If-None-Match", "*")
        .header("Content-Type", "application/json")
        .body(r#"{"v":0}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    for round in 1..=3 {
        let etag = s.req(Method::GET, &path).send().await.unwrap().headers()["etag"]
            .to_str()
            .unwrap()
            .to_owned();
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let req = s
                    .req(Method::PUT, &path)
                    .header("If-Match", etag.clone())
                    .header("Content-Type", "application/json")
                    .body(format!(r#"{{"v":{round},"writer":{i}}}"#));
                tokio::spawn(async move { req.send().await.unwrap().status().as_u16() })
            })
            .collect();
        let mut statuses = Vec::new();
        for t in tasks {
            statuses.push(t.await.unwrap());
        }
        assert_eq!(
            statuses.iter().filter(|s| **s == 204).count(),
            1,
            "round {round}: {statuses:?}"
        );
        assert!(
            statuses.iter().all(|s| *s == 204 || *s == 412),
            "{statuses:?}"
        );
    }
    s.stop().await;
}
