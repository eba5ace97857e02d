//! The Statements resource over HTTP against a running node (real fjall store, real ClickHouse).
mod common;
use common::{TestServer, statement, uuid};
use reqwest::Method;
use serde_json::{Value, json};

fn ids_of(result: &Value) -> Vec<String> {
    result["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn post_then_get_sets_lrs_properties() {
    let s = TestServer::start().await;
    let res = s
        .post(statement(
            "http://example.com/verbs/a",
            "http://example.com/act/1",
        ))
        .await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()
            .contains_key("x-experience-api-consistent-through")
    );
    let ids: Vec<String> = res.json().await.unwrap();
    assert_eq!(ids.len(), 1);
    let res = s
        .req(
            Method::GET,
            &format!("/xapi/statements?statementId={}", ids[0]),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-experience-api-version"], "1.0.3");
    assert!(res.headers().contains_key("last-modified"));
    let st: Value = res.json().await.unwrap();
    assert_eq!(st["id"], ids[0]);
    assert_eq!(st["version"], "1.0.0");
    assert_eq!(st["authority"]["account"]["name"], "tester");
    assert!(st["stored"].as_str().unwrap().ends_with('Z'));
    assert!(st["timestamp"].as_str().is_some());
    s.stop().await;
}

#[tokio::test]
async fn put_is_idempotent_and_conflicts_are_refused() {
    let s = TestServer::start().await;
    let id = uuid();
    let body = statement("http://example.com/verbs/a", "http://example.com/act/1");
    for _ in 0..2 {
        let res = s
            .req(Method::PUT, &format!("/xapi/statements?statementId={id}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204);
    }
    let other = statement("http://example.com/verbs/b", "http://example.com/act/1");
    let res = s
        .req(Method::PUT, &format!("/xapi/statements?statementId={id}"))
        .json(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let st = s
        .get_json(&format!("/xapi/statements?statementId={id}"))
        .await;
    assert_eq!(st["verb"]["id"], "http://example.com/verbs/a");
    s.stop().await;
}

#[tokio::test]
async fn batches_are_all_or_nothing_with_clear_errors() {
    let s = TestServer::start().await;
    let good_id = uuid();
    let mut good = statement("http://example.com/verbs/a", "http://example.com/act/1");
    good["id"] = json!(good_id);
    let mut bad = statement("http://example.com/verbs/a", "http://example.com/act/1");
    bad["actor"]["mbox"] = json!("learner@example.com");
    let res = s.post(json!([good, bad])).await;
    assert_eq!(res.status(), 400);
    assert!(
        res.headers()
            .contains_key("x-experience-api-consistent-through")
    );
    let err: Value = res.json().await.unwrap();
    let msg = err["error"]["message"].as_str().unwrap();
    assert!(msg.contains("mbox"), "{msg}");
    let res = s
        .req(
            Method::GET,
            &format!("/xapi/statements?statementId={good_id}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404, "nothing of a refused batch is stored");
    s.stop().await;
}

#[tokio::test]
async fn voided_statements_leave_queries_but_stay_reachable() {
    let s = TestServer::start().await;
    let verb = format!("http://example.com/verbs/{}", uuid());
    let target: Vec<String> = s
        .post(statement(&verb, "http://example.com/act/v"))
        .await
        .json()
        .await
        .unwrap();
    let voiding = json!({
        "actor": {"mbox": "mailto:admin@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": target[0]},
    });
    let voiding_ids: Vec<String> = s.post(voiding).await.json().await.unwrap();
    let res = s
        .req(
            Method::GET,
            &format!("/xapi/statements?statementId={}", target[0]),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let v = s
        .get_json(&format!("/xapi/statements?voidedStatementId={}", target[0]))
        .await;
    assert_eq!(v["id"], target[0]);
    // The voiding statement targets a statement with `verb`, so it meets that filter; the voided one does not.
    let r = s.get_json(&format!("/xapi/statements?verb={verb}")).await;
    assert_eq!(ids_of(&r), voiding_ids);
    // A voiding statement cannot be voided.
    let again = json!({
        "actor": {"mbox": "mailto:admin@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": voiding_ids[0]},
    });
    assert_eq!(s.post(again).await.status(), 400);
    s.stop().await;
}

#[tokio::test]
async fn paging_is_stable_while_statements_arrive_and_reads_are_immediate() {
    let s = TestServer::start().await;
    let verb = format!("http://example.com/verbs/{}", uuid());
    let mut posted = Vec::new();
    for i in 0..7 {
        let ids: Vec<String> = s
            .post(statement(&verb, &format!("http://example.com/act/{i}")))
            .await
            .json()
            .await
            .unwrap();
        posted.extend(ids);
        // Readable the moment it is acknowledged, before any projection.
        let r = s
            .get_json(&format!("/xapi/statements?verb={verb}&limit=1"))
            .await;
        assert_eq!(ids_of(&r)[0], *posted.last().unwrap());
    }
    s.post(statement(
        "http://example.com/verbs/other",
        "http://example.com/act/x",
    ))
    .await;
    let mut seen = Vec::new();
    let mut page = s
        .get_json(&format!("/xapi/statements?verb={verb}&limit=3"))
        .await;
    let mut first = true;
    loop {
        seen.extend(ids_of(&page));
        let more = page["more"].as_str().unwrap().to_owned();
        if more.is_empty() {
            break;
        }
        assert!(
            more.starts_with("/xapi/statements?more="),
            "relative more link: {more}"
        );
        assert!(!more.contains('+'));
        if first {
            // New statements after the first page never shift later pages.
            s.post(statement(&verb, "http://example.com/act/late"))
                .await;
            first = false;
        }
        page = s.get_json(&more).await;
    }
    let mut expected = posted.clone();
    expected.reverse();
    assert_eq!(seen, expected);
    let asc = s
        .get_json(&format!(
            "/xapi/statements?verb={verb}&ascending=true&limit=2"
        ))
        .await;
    assert_eq!(ids_of(&asc), posted[..2].to_vec());
    // Once projected, the same query is answered from ClickHouse with the same result.
    s.wait_projected("1", 9).await;
    let r = s
        .get_json(&format!("/xapi/statements?verb={verb}&limit=50"))
        .await;
    assert_eq!(ids_of(&r).len(), 8);
    s.stop().await;
}

#[tokio::test]
async fn filters_by_agent_activity_registration_and_time() {
    let s = TestServer::start().await;
    let reg = uuid();
    let mut a = statement(
        "http://example.com/verbs/a",
        "http://example.com/act/filter-a",
    );
    a["actor"] = json!({"mbox": "mailto:someone-else@example.com"});
    a["context"] = json!({"registration": reg, "contextActivities": {"parent": [{"id": "http://example.com/course/1"}]}});
    let a_ids: Vec<String> = s.post(a).await.json().await.unwrap();
    let b_ids: Vec<String> = s
        .post(statement(
            "http://example.com/verbs/a",
            "http://example.com/act/filter-b",
        ))
        .await
        .json()
        .await
        .unwrap();
    s.wait_projected("1", 2).await;
    let agent = percent_encode(r#"{"mbox":"mailto:someone-else@example.com"}"#);
    assert_eq!(
        ids_of(&s.get_json(&format!("/xapi/statements?agent={agent}")).await),
        a_ids
    );
    assert_eq!(
        ids_of(
            &s.get_json(&format!("/xapi/statements?registration={reg}"))
                .await
        ),
        a_ids
    );
    let act = "http://example.com/course/1";
    assert!(
        ids_of(
            &s.get_json(&format!("/xapi/statements?activity={act}"))
                .await
        )
        .is_empty()
    );
    assert_eq!(
        ids_of(
            &s.get_json(&format!(
                "/xapi/statements?activity={act}&related_activities=true"
            ))
            .await
        ),
        a_ids
    );
    let b = s
        .get_json(&format!("/xapi/statements?statementId={}", b_ids[0]))
        .await;
    let stored_b = b["stored"].as_str().unwrap();
    assert_eq!(
        ids_of(
            &s.get_json(&format!("/xapi/statements?since={stored_b}"))
                .await
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        ids_of(
            &s.get_json(&format!("/xapi/statements?until={stored_b}&limit=1"))
                .await
        ),
        b_ids
    );
    let res = s
        .req(Method::GET, "/xapi/statements?since=yesterday")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = s
        .req(Method::GET, "/xapi/statements?colour=blue")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    s.stop().await;
}

fn percent_encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn attachments_round_trip_as_multipart() {
    use sha2::Digest;
    let s = TestServer::start().await;
    let content = b"here is a simple attachment";
    let sha = format!("{:x}", sha2::Sha256::digest(content));
    let mut st = statement("http://example.com/verbs/a", "http://example.com/act/att");
    let id = uuid();
    st["id"] = json!(id);
    st["attachments"] = json!([{
        "usageType": "http://example.com/usage/test",
        "display": {"en-US": "a test"},
        "contentType": "text/plain",
        "length": content.len(),
        "sha2": sha,
    }]);
    let boundary = "-------314159265358979323846";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Type: application/json\r\n\r\n{st}\r\n").as_bytes(),
    );
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\nX-Experience-API-Hash: {sha}\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let res = s
        .req(Method::POST, "/xapi/statements")
        .header(
            "Content-Type",
            format!("multipart/mixed; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let res = s
        .req(
            Method::GET,
            &format!("/xapi/statements?statementId={id}&attachments=true"),
        )
        .send()
        .await
        .unwrap();
    let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("multipart/mixed; boundary="), "{ct}");
    let text = res.text().await.unwrap();
    assert!(text.contains(&format!("X-Experience-API-Hash: {sha}")));
    assert!(text.contains("here is a simple attachment"));
    // Missing part: refused.
    let mut missing = st.clone();
    missing["id"] = json!(uuid());
    assert_eq!(s.post(missing).await.status(), 400);
    s.stop().await;
}

#[tokio::test]
async fn protocol_rules() {
    let s = TestServer::start().await;
    let res = s
        .http
        .get(format!("{}/xapi/statements", s.base))
        .basic_auth(&s.key, Some(&s.secret))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "the version header is required");
    assert!(res.headers().contains_key("x-experience-api-version"));
    let res = s
        .http
        .get(format!("{}/xapi/about", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let about: Value = res.json().await.unwrap();
    assert!(
        about["version"]
            .as_array()
            .unwrap()
            .contains(&json!("2.0.0"))
    );
    let res = s
        .http
        .get(format!("{}/xapi/statements", s.base))
        .header("X-Experience-API-Version", "1.0.3")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = s
        .req_v(Method::GET, "/xapi/statements", "2.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-experience-api-version"], "2.0.0");
    // The alternate request syntax: accepted for 1.0.3, refused for 2.0.
    let id = uuid();
    let st = statement("http://example.com/verbs/a", "http://example.com/act/alt").to_string();
    let form = format!("statementId={id}&content={}", percent_encode(&st));
    let res = s
        .req(Method::POST, "/xapi/statements?method=PUT")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = s
        .req_v(Method::POST, "/xapi/statements?method=PUT", "2.0.0")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    // CORS preflight for browser-based content.
    let res = s
        .http
        .request(Method::OPTIONS, format!("{}/xapi/statements", s.base))
        .header("Origin", "https://content.example.com")
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization,content-type,x-experience-api-version",
        )
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://content.example.com"
    );
    s.stop().await;
}

#[tokio::test]
async fn restart_and_reproject_keep_exactly_one_row_per_statement() {
    let s = TestServer::start().await;
    let mut ids = Vec::new();
    for i in 0..20 {
        let r: Vec<String> = s
            .post(statement(
                "http://example.com/verbs/r",
                &format!("http://example.com/act/{i}"),
            ))
            .await
            .json()
            .await
            .unwrap();
        ids.extend(r);
    }
    s.wait_projected("1", 20).await;
    let (cfg, dir) = s.stop().await;
    let mut lasts = Vec::new();
    for _ in 0..2 {
        lasts.push(cairn_server::app::reproject(&cfg).await.unwrap());
    }
    // The log also holds the tenancy's events (default organisation, store and client).
    assert!(lasts[0] >= 20 && lasts[0] == lasts[1], "{lasts:?}");
    // A database shared by a cluster's nodes is not rebuilt by one node's command.
    let mut shared = cfg.clone();
    shared.projection_shared = true;
    let err = cairn_server::app::reproject(&shared).await.unwrap_err();
    assert!(err.to_string().contains("projection_shared"), "{err}");
    let s = TestServer::start_with(cfg, dir).await;
    assert_eq!(s.clickhouse_count("1").await, 20);
    let r = s
        .get_json("/xapi/statements?verb=http://example.com/verbs/r&limit=50")
        .await;
    let mut got = ids_of(&r);
    got.reverse();
    assert_eq!(got, ids);
    let s = s.restart().await;
    let st = s
        .get_json(&format!("/xapi/statements?statementId={}", ids[3]))
        .await;
    assert_eq!(st["id"], ids[3]);
    s.stop().await;
}
