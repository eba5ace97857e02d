//! The document resources through the router, with a real fjall store, writer and ClickHouse
//! projection (documents never reach ClickHouse; the statements side of the router needs one).
#[path = "documents_router/harness.rs"]
mod harness;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use harness::*;
use http_body_util::BodyExt;
use std::sync::Arc;
use tower::ServiceExt;

#[tokio::test]
async fn state_put_get_merge_list_and_delete() {
    let h = harness(1 << 20).await;
    let r = &h.router;
    let url = state_url(Some("s1"), None);
    assert_eq!(
        call(r, "PUT", &url, "1.0.3", &[JSON], r#"{"a":1,"b":{"x":1}}"#)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let got = call(r, "GET", &url, "1.0.3", &[], "").await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.header(header::CONTENT_TYPE), Some("application/json"));
    let etag = got.header(header::ETAG).unwrap().to_owned();
    assert_eq!(
        etag,
        format!(
            "\"{}\"",
            cairn_core::documents::sha1_hex(br#"{"a":1,"b":{"x":1}}"#)
        )
    );
    assert!(got.header(header::LAST_MODIFIED).unwrap().ends_with("GMT"));
    // POST merges one level deep.
    assert_eq!(
        call(r, "POST", &url, "1.0.3", &[JSON], r#"{"b":{"y":2},"c":3}"#)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        call(r, "GET", &url, "1.0.3", &[], "").await.json(),
        serde_json::json!({"a":1,"b":{"y":2},"c":3})
    );
    // A non-JSON POST over a JSON document is refused and changes nothing.
    let bad = call(
        r,
        "POST",
        &url,
        "1.0.3",
        &[("content-type", "text/plain")],
        "abc",
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(call(r, "GET", &url, "1.0.3", &[], "").await.json()["c"], 3);
    // Another registration, then the id list (all registrations) and a registration's list.
    let reg = "7c8b5a2e-0f1d-4d3e-9b8a-1a2b3c4d5e6f";
    call(
        r,
        "PUT",
        &state_url(Some("s2"), Some(reg)),
        "1.0.3",
        &[JSON],
        "{}",
    )
    .await;
    let all = call(r, "GET", &state_url(None, None), "1.0.3", &[], "").await;
    assert_eq!(all.json(), serde_json::json!(["s1", "s2"]));
    let one = call(r, "GET", &state_url(None, Some(reg)), "1.0.3", &[], "").await;
    assert_eq!(one.json(), serde_json::json!(["s2"]));
    let future = format!(
        "{}&since={}",
        state_url(None, None),
        enc("2999-01-01T00:00:00Z")
    );
    assert_eq!(
        call(r, "GET", &future, "1.0.3", &[], "").await.json(),
        serde_json::json!([])
    );
    // DELETE without stateId removes every matching document.
    assert_eq!(
        call(r, "DELETE", &state_url(None, None), "1.0.3", &[], "")
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        call(r, "GET", &url, "1.0.3", &[], "").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(r, "GET", &state_url(None, None), "1.0.3", &[], "")
            .await
            .json(),
        serde_json::json!([])
    );
}

#[tokio::test]
async fn binary_documents_round_trip_exactly() {
    let h = harness(1 << 20).await;
    let bytes: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    let url = profile_url("bin");
    let ct = ("content-type", "application/octet-stream");
    let put = call(
        &h.router,
        "PUT",
        &url,
        "2.0.0",
        &[ct, ("if-none-match", "*")],
        bytes.clone(),
    )
    .await;
    assert_eq!(put.status, StatusCode::NO_CONTENT);
    let got = call(&h.router, "GET", &url, "2.0.0", &[], "").await;
    assert_eq!(got.body, bytes);
    assert_eq!(
        got.header(header::CONTENT_TYPE),
        Some("application/octet-stream")
    );
    // Merging JSON into a binary document is refused.
    let post = call(&h.router, "POST", &url, "2.0.0", &[JSON], "{}").await;
    assert_eq!(post.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn preconditions_by_version_and_resource() {
    let h = harness(1 << 20).await;
    let r = &h.router;
    // 1.0.3 profiles need a header even to create; 2.0 only to overwrite.
    let url = profile_url("p1");
    assert_eq!(
        call(r, "PUT", &url, "1.0.3", &[JSON], "{}").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        call(r, "PUT", &url, "2.0.0", &[JSON], "{}").await.status,
        StatusCode::NO_CONTENT
    );
    let conflict = call(r, "PUT", &url, "1.0.3", &[JSON], r#"{"x":1}"#).await;
    assert_eq!(conflict.status, StatusCode::CONFLICT);
    assert!(
        conflict.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("If-Match")
    );
    assert_eq!(
        call(r, "PUT", &url, "2.0.0", &[JSON], r#"{"x":1}"#)
            .await
            .status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        call(
            r,
            "PUT",
            &url,
            "2.0.0",
            &[JSON, ("if-none-match", "*")],
            "{}"
        )
        .await
        .status,
        StatusCode::PRECONDITION_FAILED
    );
    let etag = call(r, "GET", &url, "2.0.0", &[], "")
        .await
        .header(header::ETAG)
        .unwrap()
        .to_owned();
    assert_eq!(
        call(
            r,
            "PUT",
            &url,
            "2.0.0",
            &[JSON, ("if-match", "\"1234\"")],
            "{}"
        )
        .await
        .status,
        StatusCode::PRECONDITION_FAILED
    );
    assert_eq!(
        call(
            r,
            "POST",
            &url,
            "2.0.0",
            &[JSON, ("if-match", "\"1234\"")],
            "{}"
        )
        .await
        .status,
        StatusCode::PRECONDITION_FAILED
    );
    assert_eq!(
        call(r, "DELETE", &url, "2.0.0", &[("if-match", "\"1234\"")], "")
            .await
            .status,
        StatusCode::PRECONDITION_FAILED
    );
    assert_eq!(
        call(
            r,
            "PUT",
            &url,
            "2.0.0",
            &[JSON, ("if-match", &etag)],
            r#"{"v":2}"#
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        call(r, "GET", &url, "2.0.0", &[], "").await.json(),
        serde_json::json!({"v":2})
    );
    // 1.0.3 State may be overwritten without a header; 2.0 State may not.
    let s = state_url(Some("s"), None);
    call(r, "PUT", &s, "1.0.3", &[JSON], "{}").await;
    assert_eq!(
        call(r, "PUT", &s, "1.0.3", &[JSON], "{}").await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        call(r, "PUT", &s, "2.0.0", &[JSON], "{}").await.status,
        StatusCode::CONFLICT
    );
    // Deleting what is not there is fine.
    assert_eq!(
        call(r, "DELETE", &profile_url("nope"), "2.0.0", &[], "")
            .await
            .status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn parameter_validation() {
    let h = harness(1 << 20).await;
    let r = &h.router;
    let a = enc("http://example.com/a");
    let cases = [
        (
            "PUT",
            format!("/xapi/activities/state?agent={}&stateId=s", enc(AGENT)),
        ),
        (
            "GET",
            format!("/xapi/activities/state?activityId={a}&stateId=s"),
        ),
        (
            "GET",
            format!("/xapi/activities/state?activityId={a}&agent=true&stateId=s"),
        ),
        (
            "GET",
            format!(
                "/xapi/activities/state?activityId={a}&agent={}&stateId=s",
                enc(r#"{"name":"x"}"#)
            ),
        ),
        (
            "GET",
            format!("{}&registration=true", state_url(Some("s"), None)),
        ),
        ("GET", format!("{}&since=yesterday", state_url(None, None))),
        ("POST", state_url(None, None)),
        ("GET", format!("{}&bogus=1", state_url(Some("s"), None))),
        ("DELETE", format!("/xapi/activities/profile?activityId={a}")),
        ("GET", "/xapi/agents/profile?profileId=p".to_owned()),
        ("GET", "/xapi/activities".to_owned()),
        ("GET", "/xapi/agents".to_owned()),
    ];
    for (method, uri) in cases {
        let res = call(r, method, &uri, "2.0.0", &[JSON], "{}").await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{method} {uri}");
    }
}

#[tokio::test]
async fn documents_are_bounded() {
    let h = harness(10).await;
    let res = call(
        &h.router,
        "PUT",
        &state_url(Some("big"), None),
        "2.0.0",
        &[JSON],
        vec![b' '; 11],
    )
    .await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn agents_and_activities() {
    let h = harness(1 << 20).await;
    let r = &h.router;
    let person = call(
        r,
        "GET",
        &format!(
            "/xapi/agents?agent={}",
            enc(r#"{"name":"A","mbox":"mailto:a@example.com"}"#)
        ),
        "1.0.3",
        &[],
        "",
    )
    .await;
    assert_eq!(
        person.json(),
        serde_json::json!({"objectType":"Person","name":["A"],"mbox":["mailto:a@example.com"]})
    );
    let id = "http://example.com/activities/1";
    let unknown = call(
        r,
        "GET",
        &format!("/xapi/activities?activityId={}", enc(id)),
        "2.0.0",
        &[],
        "",
    )
    .await;
    assert_eq!(
        unknown.json(),
        serde_json::json!({"objectType":"Activity","id":id})
    );
    let statements = serde_json::json!([
        {"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://example.com/v"},
         "object":{"id":id,"definition":{"name":{"en-US":"one"},"type":"http://example.com/t"}}},
        {"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://example.com/v"},
         "object":{"id":id,"definition":{"name":{"fr-FR":"un"}}}}
    ]);
    let post = call(
        r,
        "POST",
        "/xapi/statements",
        "2.0.0",
        &[JSON],
        statements.to_string(),
    )
    .await;
    assert_eq!(
        post.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&post.body)
    );
    let known = call(
        r,
        "GET",
        &format!("/xapi/activities?activityId={}", enc(id)),
        "2.0.0",
        &[],
        "",
    )
    .await;
    assert_eq!(
        known.json(),
        serde_json::json!({"objectType":"Activity","id":id,
            "definition":{"name":{"en-US":"one","fr-FR":"un"},"type":"http://example.com/t"}})
    );
    let head = call(
        r,
        "HEAD",
        &format!("/xapi/activities?activityId={}", enc(id)),
        "2.0.0",
        &[],
        "",
    )
    .await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());
}

/// Many clients race to replace one document with the same ETag: exactly one may win.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_if_match_puts_have_exactly_one_winner() {
    let h = harness(1 << 20).await;
    let url = profile_url("race");
    call(
        &h.router,
        "PUT",
        &url,
        "2.0.0",
        &[JSON, ("if-none-match", "*")],
        r#"{"v":0}"#,
    )
    .await;
    for round in 0..5 {
        let etag = call(&h.router, "GET", &url, "2.0.0", &[], "")
            .await
            .header(header::ETAG)
            .unwrap()
            .to_owned();
        let barrier = Arc::new(tokio::sync::Barrier::new(32));
        let mut tasks = Vec::new();
        for i in 0..32 {
            let (router, url, etag, barrier) =
                (h.router.clone(), url.clone(), etag.clone(), barrier.clone());
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                let body = format!(r#"{{"round":{round},"writer":{i}}}"#);
                let res = call(
                    &router,
                    "PUT",
                    &url,
                    "2.0.0",
                    &[JSON, ("if-match", &etag)],
                    body,
                )
                .await;
                (i, res.status)
            }));
        }
        let mut winners = Vec::new();
        for t in tasks {
            let (i, status) = t.await.unwrap();
            match status {
                StatusCode::NO_CONTENT => winners.push(i),
                StatusCode::PRECONDITION_FAILED => {}
                other => panic!("unexpected status {other}"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: winners {winners:?}");
        let now = call(&h.router, "GET", &url, "2.0.0", &[], "").await.json();
        assert_eq!(
            now,
            serde_json::json!({"round": round, "writer": winners[0]})
        );
    }
}

/// xAPI 1.0.3's alternate request syntax reaches the document resources too.
#[tokio::test]
async fn alternate_request_syntax_for_documents() {
    let h = harness(1 << 20).await;
    let form = |method_fields: &[(&str, &str)]| {
        let mut f = form_urlencoded::Serializer::new(String::new());
        f.append_pair("activityId", "http://example.com/alt");
        f.append_pair("agent", AGENT);
        f.append_pair("stateId", "s1");
        f.append_pair("Authorization", "Basic azpz");
        f.append_pair("X-Experience-API-Version", "1.0.3");
        for (k, v) in method_fields {
            f.append_pair(k, v);
        }
        f.finish()
    };
    let send = |method: &'static str, body: String| {
        let app = cairn_http::app(h.state.clone());
        async move {
            let req = Request::builder()
                .method("POST")
                .uri(format!("/xapi/activities/state?method={method}"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap();
            let res = app.oneshot(req).await.unwrap();
            let status = res.status();
            let body = res.into_body().collect().await.unwrap().to_bytes();
            (status, body)
        }
    };
    let (status, _) = send("PUT", form(&[("content", r#"{"x":1}"#)])).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = send("GET", form(&[])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&body[..], br#"{"x":1}"#);
    let (status, _) = send("DELETE", form(&[])).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(send("GET", form(&[])).await.0, StatusCode::NOT_FOUND);
}
