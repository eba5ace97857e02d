//! Whole statements in exports and statement pages come from the event log (ClickHouse holds
//! which statements match, not their JSON): an export larger than one batch of log lookups
//! streams every statement once, in order, exactly as the xAPI serves it, and a CSV or NDJSON
//! export with the `statement` field carries the same JSON beside the other fields.
mod common;

use common::{Cred, ROOT_EMAIL, ROOT_PASSWORD, TestServer};
use reqwest::Method;
use serde_json::{Value, json};

/// More than two batches of body lookups (`analytics::bodies::BODY_BATCH`).
const N: usize = 600;

#[tokio::test]
async fn exports_read_whole_statements_from_the_log() {
    let s = TestServer::start_with_root().await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let id = |v: Value| v["id"].as_str().unwrap().to_owned();
    let body = Some(json!({ "name": "A" }));
    let org = id(s
        .ok(Method::POST, "/api/v1/organisations", &root, body, 201)
        .await);
    let body = Some(json!({"organisation": org, "name": "S"}));
    let store = id(s.ok(Method::POST, "/api/v1/stores", &root, body, 201).await);
    let body = Some(json!({"store": store, "name": "lms", "scopes": ["all"]}));
    let c = s
        .ok(Method::POST, "/api/v1/clients", &root, body, 201)
        .await;
    let (key, secret) = (
        c["client"]["key"].as_str().unwrap(),
        c["secret"].as_str().unwrap(),
    );
    let mut ids: Vec<String> = Vec::new();
    for chunk in 0..N / 100 {
        let batch: Vec<Value> = (0..100)
            .map(|i| {
                let n = chunk * 100 + i;
                json!({
                    "actor": {"mbox": format!("mailto:p{n}@example.com")},
                    "verb": {"id": format!("http://example.com/verbs/v{}", n % 2)},
                    "object": {"id": "http://example.com/act/1"},
                    "result": {"extensions": {"http://example.com/n": n}},
                })
            })
            .collect();
        let res = s
            .xapi(Method::POST, "/xapi/statements", key, secret)
            .header("X-Experience-API-Version", "1.0.3")
            .json(&batch)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let got: Vec<String> = res.json().await.unwrap();
        ids.extend(got);
    }
    s.wait_projected(&format!("store = toUUID('{store}')"), N as u64)
        .await;
    let export = format!("/api/v1/stores/{store}/statements/export");

    // Whole statements, oldest first: each exactly as GET /xapi/statements?statementId serves it.
    let text = s
        .api(Method::POST, &export, &root)
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got: Vec<&str> = lines.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(got, ids.iter().map(String::as_str).collect::<Vec<_>>());
    for i in [0, 255, 256, 599] {
        let served: Value = s
            .xapi(
                Method::GET,
                &format!("/xapi/statements?statementId={}", ids[i]),
                key,
                secret,
            )
            .header("X-Experience-API-Version", "1.0.3")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(lines[i], served, "statement {i}");
    }

    // Newest first, filtered, with the statement beside other fields, as NDJSON and CSV.
    let request = json!({"fields": ["result.extensions.http://example.com/n", "statement"],
        "order": "desc", "filter": {"field": "verb", "eq": "http://example.com/verbs/v1"}});
    let ndjson = s
        .api(Method::POST, &format!("{export}?format=ndjson"), &root)
        .json(&request)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let rows: Vec<Value> = ndjson
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), N / 2);
    for (k, row) in rows.iter().enumerate() {
        let n = N - 1 - 2 * k;
        assert_eq!(row["statement"]["id"], ids[n].as_str(), "row {k}");
        assert_eq!(row["result.extensions.http://example.com/n"], n.to_string());
        let keys: Vec<&String> = row.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 2, "{row}");
    }
    let csv = s
        .api(Method::POST, &format!("{export}?format=csv"), &root)
        .json(&request)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(
        reader.headers().unwrap(),
        vec!["result.extensions.http://example.com/n", "statement"]
    );
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), N / 2);
    for (k, r) in records.iter().enumerate() {
        let statement: Value = serde_json::from_str(&r[1]).unwrap();
        assert_eq!(statement, rows[k]["statement"], "row {k}");
    }

    // A page of the statement explorer holds the same statements.
    let page = s
        .ok(
            Method::POST,
            &format!("/api/v1/stores/{store}/statements/query?limit=3"),
            &root,
            Some(request),
            200,
        )
        .await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    for (k, item) in items.iter().enumerate() {
        assert_eq!(item["statement"], rows[k]["statement"]);
        assert!(item["seq"].is_u64(), "seq is always included: {item}");
    }
}
