//! What the dashboards' charts ask of the analytics API, on a running node: top N, the previous
//! period (the counter), numeric buckets, funnels (cross-checked with the aggregates), names of
//! verbs and activities in the asked language, the limits and 400s, and the typed OpenAPI
//! schemas the web app generates its types from.
mod common;

use common::{Cred, ROOT_EMAIL, ROOT_PASSWORD, TestServer};
use reqwest::Method;
use serde_json::{Value, json};

const DAY1: &str = "2025-11-24T00:00:00Z";
const DAY2: &str = "2025-11-25T00:00:00Z";
const DAY3: &str = "2025-11-26T00:00:00Z";

/// Learner `a` does verb `v` on activity `o` on day `day` (1 or 2) at `hour`, with a score.
fn statement(a: u32, v: u32, o: u32, day: u32, hour: u32, raw: u32) -> Value {
    json!({
        "actor": {"mbox": format!("mailto:l{a}@example.com")},
        "verb": {"id": format!("http://example.com/verbs/{v}"),
                 "display": {"en-US": format!("did {v}"), "fr-FR": format!("a fait {v}")}},
        "object": {"id": format!("http://example.com/act/{o}"),
                   "definition": {"name": {"en": format!("Activity {o}"), "de": format!("Aktivität {o}")}}},
        "result": {"score": {"raw": raw}},
        "timestamp": format!("2025-11-2{}T{hour:02}:15:00Z", 3 + day),
    })
}

#[tokio::test]
async fn charts_over_http() {
    let s = TestServer::start_with_root().await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let store = cairn_core::StoreId::DEFAULT.0;
    let mut batch = Vec::new();
    for i in 0..40u32 {
        batch.push(statement(
            i % 5,
            i % 3,
            i % 4,
            1 + i % 2,
            i % 24,
            i * 7 % 100,
        ));
    }
    let res = s.post(Value::Array(batch)).await;
    assert_eq!(res.status(), 200);
    s.wait_projected(&format!("store = toUUID('{store}')"), 40)
        .await;
    let call = |path: &str, body: Value| {
        let (s, root, path) = (&s, &root, format!("/api/v1/stores/{store}/{path}"));
        async move { s.call(Method::POST, &path, root, Some(body)).await }
    };
    // The aggregates are filled right after the rows: wait for them.
    for _ in 0..200 {
        let (_, a) = call("aggregate", json!({"source": "aggregate"})).await;
        if a["rows"][0]["values"][0] == 40.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }

    // Top 2 actors by count, both ways the same.
    let top = json!({"group_by": ["actor"], "order_by": {"measure": 0, "dir": "desc"}, "limit": 2});
    let (status, raw) = call("aggregate", with(&top, json!({"source": "raw"}))).await;
    assert_eq!(status, 200, "{raw}");
    let (_, agg) = call("aggregate", with(&top, json!({"source": "aggregate"}))).await;
    assert_eq!(raw["rows"], agg["rows"]);
    let (_, all) = call("aggregate", json!({"group_by": ["actor"]})).await;
    let mut counts: Vec<f64> = all["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["values"][0].as_f64().unwrap())
        .collect();
    counts.sort_by(|a, b| b.total_cmp(a));
    let got: Vec<f64> = raw["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["values"][0].as_f64().unwrap())
        .collect();
    assert_eq!(got, counts[..2]);

    // The counter: day 2 against day 1.
    let (status, counter) = call(
        "aggregate",
        json!({"from": DAY2, "to": DAY3, "compare": "previous_period"}),
    )
    .await;
    assert_eq!(status, 200, "{counter}");
    let (_, day1) = call("aggregate", json!({"from": DAY1, "to": DAY2})).await;
    let (_, day2) = call("aggregate", json!({"from": DAY2, "to": DAY3})).await;
    assert_eq!(counter["rows"][0]["values"], day2["rows"][0]["values"]);
    assert_eq!(counter["rows"][0]["previous"], day1["rows"][0]["values"]);
    assert!(day1["rows"][0].get("previous").is_none(), "only when asked");
    let (status, e) = call("aggregate", json!({"compare": "previous_period"})).await;
    assert_eq!(status, 400);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("/compare"),
        "{e}"
    );

    // A histogram of raw scores; every statement lands in one bucket.
    let hist = json!({"group_by": [{"bucket": {"path": "result.score.raw", "width": 25}}]});
    let (status, h) = call("aggregate", hist.clone()).await;
    assert_eq!((status, h["source"].as_str()), (200, Some("raw")), "{h}");
    let keys: Vec<&str> = h["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["keys"][0].as_str().unwrap())
        .collect();
    assert!(
        keys.iter().all(|k| ["0", "25", "50", "75"].contains(k)),
        "{keys:?}"
    );
    let total: f64 = h["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["values"][0].as_f64().unwrap())
        .sum();
    assert_eq!(total, 40.0);
    let (status, e) = call("aggregate", with(&hist, json!({"source": "aggregate"}))).await;
    assert_eq!(status, 400);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("/source"),
        "{e}"
    );

    // A funnel: step 1 reaches every actor with verb 0 (as unique actors says), step 2 fewer.
    let verb = |v: u32| json!({"field": "verb", "eq": format!("http://example.com/verbs/{v}")});
    let (status, f) = call("funnel", json!({"steps": [verb(0), verb(1), verb(2)]})).await;
    assert_eq!(status, 200, "{f}");
    let (_, u) = call(
        "aggregate",
        json!({"filter": verb(0), "measures": ["unique_actors"]}),
    )
    .await;
    let steps: Vec<u64> = f["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["count"].as_u64().unwrap())
        .collect();
    assert_eq!(steps.len(), 3);
    assert_eq!(Some(steps[0] as f64), u["rows"][0]["values"][0].as_f64());
    assert!(steps.windows(2).all(|w| w[0] >= w[1]), "{steps:?}");
    assert_eq!(f["source"], "raw");
    for (bad, pointer) in [
        (json!({"steps": [verb(0)]}), "/steps"),
        (
            json!({"steps": [verb(0), {"field": "nope", "eq": 1}]}),
            "/steps/1/field",
        ),
        (json!({"steps": [verb(0), verb(1)], "by": "team"}), "/by"),
    ] {
        let (status, e) = call("funnel", bad).await;
        assert_eq!(status, 400);
        let message = e["error"]["message"].as_str().unwrap();
        assert!(message.starts_with(&format!("{pointer}:")), "{message}");
    }

    // Names: verb displays and activity names, in the asked language, else English.
    let names = |q: &str| {
        let (s, root) = (&s, &root);
        let path = format!("/api/v1/stores/{store}/names?{q}");
        async move { s.call(Method::GET, &path, root, None).await }
    };
    let v0 = "http%3A%2F%2Fexample.com%2Fverbs%2F0";
    let a1 = "http%3A%2F%2Fexample.com%2Fact%2F1";
    let (status, n) = names(&format!("id={v0}&id={a1}&id=http%3A%2F%2Fnone&lang=fr")).await;
    assert_eq!(status, 200, "{n}");
    assert_eq!(
        n["items"],
        json!([{"id": "http://example.com/verbs/0", "name": "a fait 0"},
               {"id": "http://example.com/act/1", "name": "Activity 1"}])
    );
    let (_, n) = names(&format!("id={v0}&id={a1}&lang=de-DE")).await;
    assert_eq!(n["items"][0]["name"], "did 0");
    assert_eq!(n["items"][1]["name"], "Aktivität 1");
    let many: Vec<String> = (0..201)
        .map(|i| format!("id=http%3A%2F%2Fx%2F{i}"))
        .collect();
    assert_eq!(names(&many.join("&")).await.0, 400);
    assert_eq!(names("lang=en").await.0, 400);
    assert_eq!(names(&format!("id={v0}&colour=red")).await.0, 400);
    // Outsiders see nothing.
    let (_, outsider) = s.user_with_token(&root, "outsider@example.com").await;
    let path = format!("/api/v1/stores/{store}/names?id={v0}");
    assert_eq!(s.call(Method::GET, &path, &outsider, None).await.0, 404);
    let path = format!("/api/v1/stores/{store}/funnel");
    let body = json!({"steps": [verb(0), verb(1)]});
    assert_eq!(
        s.call(Method::POST, &path, &outsider, Some(body)).await.0,
        404
    );

    // The OpenAPI document types the request bodies.
    let (_, doc) = s
        .call(Method::GET, "/api/v1/openapi.json", &Cred::None, None)
        .await;
    let body_of = |path: &str| {
        doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            .clone()
    };
    assert_eq!(
        body_of("/api/v1/stores/{id}/aggregate"),
        "#/components/schemas/AggregateRequest"
    );
    assert_eq!(
        body_of("/api/v1/stores/{id}/funnel"),
        "#/components/schemas/FunnelRequest"
    );
    let request = &doc["components"]["schemas"]["AggregateRequest"]["properties"];
    for field in [
        "group_by", "measures", "order_by", "compare", "limit", "filter",
    ] {
        assert!(request.get(field).is_some(), "{field} in {request}");
    }
    assert!(doc["paths"]["/api/v1/stores/{id}/names"]["get"].is_object());
    assert!(doc["components"]["schemas"]["Bucket"]["properties"]["width"].is_object());
    s.stop().await;
}

fn with(a: &Value, b: Value) -> Value {
    let mut a = a.clone();
    for (k, v) in b.as_object().unwrap() {
        a[k] = v.clone();
    }
    a
}
