//! The analytics API on a running node: statements sent through the xAPI are aggregated by
//! `POST /api/v1/stores/{id}/aggregate` from the hourly aggregates and from the raw table with
//! the same answer; viewers and analysts may read, outsiders get 404, and invalid requests get
//! a 400 naming the offending node.
mod common;

use common::{Cred, ROOT_EMAIL, ROOT_PASSWORD, TestServer};
use reqwest::Method;
use serde_json::{Value, json};

const LEVEL: &str = "context.extensions.http://example.com/ext/level";
const POINTS: &str = "result.extensions.http://example.com/ext/points";

/// A statement; its extensions: points (`scaled` × 8) and the actor's level (`L0`, `L1`).
fn statement(actor: u32, verb: u32, activity: u32, scaled: f64, success: bool) -> Value {
    json!({
        "actor": {"mbox": format!("mailto:l{actor}@example.com")},
        "verb": {"id": format!("http://example.com/verbs/{verb}")},
        "object": {"id": format!("http://example.com/act/{activity}")},
        "result": {"score": {"scaled": scaled}, "success": success, "duration": "PT1M30S",
                   "extensions": {"http://example.com/ext/points": (scaled * 8.0) as u32}},
        "context": {"extensions": {"http://example.com/ext/level": format!("L{}", actor % 2)}},
        "timestamp": format!("2025-11-2{}T1{}:15:00Z", 4 + activity, verb),
    })
}

#[tokio::test]
async fn aggregates_over_http_agree_both_ways_and_respect_roles() {
    let s = TestServer::start_with_root().await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let id = |v: Value| v["id"].as_str().unwrap().to_owned();
    let org = id(s
        .ok(
            Method::POST,
            "/api/v1/organisations",
            &root,
            Some(json!({"name": "A"})),
            201,
        )
        .await);
    let other = id(s
        .ok(
            Method::POST,
            "/api/v1/organisations",
            &root,
            Some(json!({"name": "B"})),
            201,
        )
        .await);
    let store = id(s
        .ok(
            Method::POST,
            "/api/v1/stores",
            &root,
            Some(json!({"organisation": org, "name": "S"})),
            201,
        )
        .await);
    let c = s
        .ok(
            Method::POST,
            "/api/v1/clients",
            &root,
            Some(json!({"store": store, "name": "lms", "scopes": ["all"]})),
            201,
        )
        .await;
    let (key, secret) = (
        c["client"]["key"].as_str().unwrap(),
        c["secret"].as_str().unwrap(),
    );
    let mut batch = Vec::new();
    for i in 0..60u32 {
        batch.push(statement(
            i % 5,
            i % 3,
            i % 4,
            f64::from(i % 9) / 8.0,
            i % 2 == 0,
        ));
    }
    let res = s
        .xapi(Method::POST, "/xapi/statements", key, secret)
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    s.wait_projected(&format!("store = toUUID('{store}')"), 60)
        .await;

    let (viewer_id, viewer) = s.user_with_token(&root, "viewer@example.com").await;
    let (analyst_id, analyst) = s.user_with_token(&root, "analyst@example.com").await;
    let (outsider_id, outsider) = s.user_with_token(&root, "outsider@example.com").await;
    for (org, user, role) in [
        (&org, &viewer_id, "viewer"),
        (&org, &analyst_id, "analyst"),
        (&other, &outsider_id, "owner"),
    ] {
        s.ok(
            Method::PUT,
            &format!("/api/v1/organisations/{org}/members/{user}"),
            &root,
            Some(json!({"role": role})),
            200,
        )
        .await;
    }
    let path = format!("/api/v1/stores/{store}/aggregate");
    // The views write right after the statements' rows: wait until they hold all 60 too.
    for _ in 0..200 {
        let a = s
            .ok(
                Method::POST,
                &path,
                &root,
                Some(json!({"source": "aggregate"})),
                200,
            )
            .await;
        let v = s
            .ok(
                Method::GET,
                &format!("/api/v1/stores/{store}/values?path=object.id"),
                &root,
                None,
                200,
            )
            .await;
        let values: u64 = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["count"].as_u64().unwrap())
            .sum();
        if a["rows"][0]["values"][0] == 60.0 && values == 60 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let req = json!({
        "group_by": [{"time": "day"}, "verb"], "tz": "Europe/Paris",
        "measures": ["count", "unique_actors", "successes", {"avg": "result.score.scaled"},
                     {"max": "result.duration_ms"}]
    });
    let mut answers = Vec::new();
    for source in ["raw", "aggregate", "auto"] {
        let mut r = req.clone();
        r["source"] = json!(source);
        answers.push(s.ok(Method::POST, &path, &viewer, Some(r), 200).await);
    }
    assert_eq!(answers[0]["source"], "raw");
    assert_eq!(answers[1]["source"], "aggregate");
    assert_eq!(
        answers[2]["source"], "aggregate",
        "auto uses the aggregates when it fits"
    );
    assert_eq!(answers[0]["rows"], answers[1]["rows"]);
    let rows = answers[0]["rows"].as_array().unwrap();
    let total: f64 = rows.iter().map(|r| r["values"][0].as_f64().unwrap()).sum();
    assert_eq!(total, 60.0);
    assert_eq!(rows[0]["keys"][0], "2025-11-24");
    assert_eq!(rows[0]["values"][4], 90_000.0, "PT1M30S in ms");

    // An analyst may read too; a raw-only request is served from the raw table.
    let a = s
        .ok(Method::POST, &path, &analyst,
            Some(json!({"group_by": [{"path": "result.success"}], "filter": {"field": "verb", "eq": "http://example.com/verbs/1"}})), 200)
        .await;
    assert_eq!(a["source"], "raw");
    assert_eq!(
        a["rows"],
        json!([{"keys": ["0"], "values": [10.0]}, {"keys": ["1"], "values": [10.0]}])
    );

    // Extension paths: filter on one, group by another, sum a third; served from the raw table.
    let a = s
        .ok(Method::POST, &path, &viewer,
            Some(json!({"group_by": [{"path": LEVEL}], "filter": {"field": POINTS, "range": {"gte": 4}},
                        "measures": ["count", {"sum": POINTS}]})), 200)
        .await;
    assert_eq!(a["source"], "raw");
    let mut want = [(0.0, 0.0); 2];
    for i in 0..60u32 {
        let points = f64::from(i % 9);
        if points >= 4.0 {
            let level = &mut want[(i % 5 % 2) as usize];
            level.0 += 1.0;
            level.1 += points;
        }
    }
    assert_eq!(
        a["rows"],
        json!([{"keys": ["L0"], "values": [want[0].0, want[0].1]},
               {"keys": ["L1"], "values": [want[1].0, want[1].1]}])
    );
    // Autocomplete lists extension keys under their container and values under their path.
    let v = s
        .ok(
            Method::GET,
            &format!(
                "/api/v1/stores/{store}/values?path=context.extensions&prefix=http://example.com/"
            ),
            &viewer,
            None,
            200,
        )
        .await;
    assert_eq!(v["items"][0]["value"], "http://example.com/ext/level");
    assert_eq!(v["items"][0]["count"], 60);
    let v = s
        .ok(
            Method::GET,
            &format!("/api/v1/stores/{store}/values?path={LEVEL}"),
            &viewer,
            None,
            200,
        )
        .await;
    assert_eq!(v["items"][0]["value"], "L0");
    assert_eq!(v["items"][0]["count"], 36, "actors 0, 2 and 4");

    // Filtered statements, paged, with chosen fields.
    let query = format!("/api/v1/stores/{store}/statements/query");
    let body = json!({"filter": {"field": "verb", "eq": "http://example.com/verbs/1"},
                      "fields": ["id", "verb", "result.score.scaled", "timestamp"]});
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{query}?limit=8&cursor={c}"),
            None => format!("{query}?limit=8"),
        };
        let page = s
            .ok(Method::POST, &url, &viewer, Some(body.clone()), 200)
            .await;
        for item in page["items"].as_array().unwrap() {
            assert_eq!(item["verb"], "http://example.com/verbs/1");
            assert!(item["result.score.scaled"].is_number() && item["timestamp"].is_number());
            seen.push(item["seq"].as_u64().unwrap());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 20);
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "seq order, each once: {seen:?}"
    );
    // Extension paths can be chosen fields too (their value's text; '' when absent), also in
    // CSV exports, and an unknown one is refused at its index.
    let page = s
        .ok(
            Method::POST,
            &format!("{query}?limit=3"),
            &viewer,
            Some(
                json!({"fields": ["actor", LEVEL, POINTS, "result.extensions.http://x/none?a=b"]}),
            ),
            200,
        )
        .await;
    for item in page["items"].as_array().unwrap() {
        let actor = item["actor"].as_str().unwrap();
        let n: u32 = actor
            .trim_start_matches("mbox:mailto:l")
            .split('@')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(item[LEVEL], format!("L{}", n % 2), "{item}");
        assert!(
            item[POINTS].as_str().unwrap().parse::<u32>().is_ok(),
            "{item}"
        );
        assert_eq!(item["result.extensions.http://x/none?a=b"], "", "{item}");
    }
    let csv = s
        .api(
            Method::POST,
            &format!("/api/v1/stores/{store}/statements/export?format=csv"),
            &viewer,
        )
        .json(&json!({"fields": ["seq", LEVEL]}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.starts_with(&format!("\"seq\",\"{LEVEL}\"\n")), "{csv}");
    assert!(
        csv.lines()
            .skip(1)
            .all(|l| l.ends_with(",\"L0\"") || l.ends_with(",\"L1\"")),
        "{csv}"
    );
    let (st, v) = s
        .call(
            Method::POST,
            &format!("{query}?limit=3"),
            &viewer,
            Some(json!({"fields": ["result.extensions.nope"]})),
        )
        .await;
    assert_eq!(st, 400, "{v}");
    assert!(v.to_string().contains("/fields/0"), "{v}");

    // A voided statement leaves queries and exports; the voiding one is a statement like others.
    let first = s
        .ok(
            Method::POST,
            &format!("{query}?limit=1"),
            &viewer,
            Some(json!({"fields": ["id"]})),
            200,
        )
        .await;
    let voided = first["items"][0]["id"].as_str().unwrap().to_owned();
    let void = json!({"actor": {"mbox": "mailto:admin@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": voided}});
    let res = s
        .xapi(Method::POST, "/xapi/statements", key, secret)
        .json(&void)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    s.wait_projected(&format!("store = toUUID('{store}')"), 61)
        .await;

    let export = format!("/api/v1/stores/{store}/statements/export");
    // The `voids` row is written by a view right after the statement's row: wait for it too.
    let mut lines: Vec<Value> = Vec::new();
    for _ in 0..200 {
        let res = s
            .api(Method::POST, &export, &viewer)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["content-type"], "application/x-ndjson");
        let text = res.text().await.unwrap();
        lines = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        if lines.len() == 60 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(lines.len(), 60, "61 statements, one voided");
    assert!(
        lines
            .iter()
            .all(|st| st["id"] != voided.as_str() && st["stored"].is_string())
    );
    let csv = s
        .api(Method::POST, &format!("{export}?format=csv"), &analyst)
        .json(&json!({"fields": ["id", "actor", "result.success"], "filter": {"field": "result.success", "eq": true}}))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.unwrap();
    let mut rows = csv.lines();
    assert_eq!(rows.next(), Some(r#""id","actor","result.success""#));
    let rows: Vec<&str> = rows.collect();
    assert_eq!(rows.len(), 29, "30 successes, the voided one among them");
    assert!(
        rows.iter()
            .all(|r| r.ends_with(",1") && r.contains("mbox:mailto:l"))
    );
    let ndjson = s
        .api(Method::POST, &format!("{export}?format=ndjson"), &viewer)
        .json(&json!({"fields": ["seq", "agents"]}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let first: Value = serde_json::from_str(ndjson.lines().next().unwrap()).unwrap();
    assert!(
        first["seq"].is_u64() && first["agents"].is_array(),
        "{first}"
    );
    for (url, body, pointer) in [
        (export.clone(), json!({"fields": ["nope"]}), "/fields/0"),
        (
            query.clone(),
            json!({"filter": {"not": {"field": "x", "eq": 1}}}),
            "/filter/not/field",
        ),
    ] {
        let (st, v) = s.call(Method::POST, &url, &viewer, Some(body)).await;
        assert_eq!(st, 400);
        assert!(
            v["error"]["message"].as_str().unwrap().starts_with(pointer),
            "{v}"
        );
    }

    // Outsiders: 404, as if the store did not exist.
    for url in [&query, &export] {
        let (st, _) = s.call(Method::POST, url, &outsider, Some(json!({}))).await;
        assert_eq!(st, 404);
    }
    let (st, _) = s
        .call(Method::POST, &path, &outsider, Some(req.clone()))
        .await;
    assert_eq!(st, 404);
    // Invalid requests: 400 naming the node.
    for (body, pointer) in [
        (
            json!({"filter": {"or": [{"field": "verb", "eq": "x"}, {"field": "nope", "eq": 1}]}}),
            "/filter/or/1/field",
        ),
        (json!({"group_by": ["verb", "bogus"]}), "/group_by/1"),
        (
            json!({"group_by": ["registration"], "source": "aggregate"}),
            "/source",
        ),
        (
            json!({"filter": {"field": "result.extensions.no-iri", "exists": true}}),
            "/filter/field",
        ),
    ] {
        let (st, v) = s
            .call(Method::POST, &path, &viewer, Some(body.clone()))
            .await;
        assert_eq!(st, 400, "{body}");
        let msg = v["error"]["message"].as_str().unwrap();
        assert!(msg.starts_with(pointer), "{body} → {msg}");
    }
    s.stop().await;
}

/// The rows of an aggregate request served from the raw table, then from the aggregates.
async fn both_ways(s: &TestServer, cred: &Cred, path: &str, req: &Value) -> Vec<Value> {
    let mut got = Vec::new();
    for source in ["raw", "aggregate"] {
        let mut r = req.clone();
        r["source"] = json!(source);
        got.push(s.ok(Method::POST, path, cred, Some(r), 200).await["rows"].clone());
    }
    got
}

/// Voided statements leave every aggregate figure, served either way, whatever the order in
/// which the voiding statement and its target arrive; the voiding statements count like any
/// other. `cairn reproject` rebuilds the same answer from the log.
#[tokio::test]
async fn voided_statements_leave_the_aggregates_also_after_reproject() {
    let s = TestServer::start_with_root().await;
    let store = cairn_core::StoreId::DEFAULT.0;
    let path = format!("/api/v1/stores/{store}/aggregate");
    let void = |id: &str| {
        json!({"actor": {"mbox": "mailto:admin@example.com"},
               "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
               "object": {"objectType": "StatementRef", "id": id}})
    };
    let mut batch: Vec<Value> = (0..10u32)
        .map(|i| statement(i % 3, i % 2, 0, f64::from(i) / 10.0, i % 2 == 0))
        .collect();
    // The best score and the longest duration belong to statements that get voided.
    batch[9]["result"]["duration"] = json!("PT1H");
    let ids: Vec<String> = s.post(json!(batch)).await.json().await.unwrap();
    let late = common::uuid();
    for v in [void(&ids[9]), void(&late), void(&common::uuid())] {
        assert_eq!(s.post(v).await.status(), 200);
    }
    let mut arrives = statement(1, 0, 0, 0.5, true);
    arrives["id"] = json!(late);
    assert_eq!(s.post(arrives).await.status(), 200);
    s.wait_projected("1", 14).await;

    let req = json!({"group_by": ["verb"],
        "measures": ["count", "unique_actors", "successes", {"max": "result.score.scaled"},
                     {"max": "result.duration_ms"}, {"sum": "result.score.scaled"}]});
    let want = json!([
        {"keys": ["http://adlnet.gov/expapi/verbs/voided"],
         "values": [3.0, 1.0, 0.0, null, null, 0.0]},
        {"keys": ["http://example.com/verbs/0"],
         "values": [5.0, 3.0, 5.0, 0.8, 90_000.0, 2.0]},
        {"keys": ["http://example.com/verbs/1"],
         "values": [4.0, 3.0, 0.0, 0.7, 90_000.0, 1.6]},
    ]);
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    // The views and the voided rows land right after the statements: wait until both agree.
    let mut got = Vec::new();
    for _ in 0..200 {
        got = both_ways(&s, &root, &path, &req).await;
        if got[0] == want && got[1] == want {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(got, [want.clone(), want.clone()]);

    let (cfg, dir) = s.stop().await;
    cairn_server::app::reproject(&cfg).await.unwrap();
    let s = TestServer::start_with(cfg, dir).await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    assert_eq!(
        both_ways(&s, &root, &path, &req).await,
        [want.clone(), want]
    );
    s.stop().await;
}
