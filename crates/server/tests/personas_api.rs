//! Personas on a running node with real ClickHouse: creating, merging and splitting personas
//! changes aggregates by persona (from the hourly aggregates and the raw table alike), persona
//! filters and the xAPI Agents resource at once, without rewriting a statement; CSV import
//! streams progress and lists bad rows; viewers read, analysts change, outsiders see nothing.
mod common;

use common::{Cred, ROOT_EMAIL, ROOT_PASSWORD, TestServer};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

const STORE: &str = "00000000-0000-0000-0000-000000000001";

fn mbox(who: &str) -> String {
    format!("mailto:{who}@example.com")
}

/// Rows of the persona mapping in ClickHouse.
async fn links(s: &TestServer) -> u64 {
    let sql = format!(
        "SELECT count() FROM {}.persona_identifiers",
        s.cfg.clickhouse_database
    );
    let t = reqwest::Client::new()
        .post(&s.cfg.clickhouse_url)
        .body(sql)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    t.trim().parse().unwrap()
}

async fn wait_links(s: &TestServer, n: u64) {
    for _ in 0..400 {
        if links(s).await >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the persona mapping never reached {n} rows");
}

/// `{persona key: [count, unique personas, unique actors]}` from one source.
async fn by_persona(
    s: &TestServer,
    cred: &Cred,
    source: &str,
) -> (String, Vec<(String, Vec<f64>)>) {
    let v = s
        .ok(
            Method::POST,
            &format!("/api/v1/stores/{STORE}/aggregate"),
            cred,
            Some(json!({"group_by": ["persona"], "source": source,
                "measures": ["count", "unique_personas", "unique_actors"]})),
            200,
        )
        .await;
    let rows = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let vals = r["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            (r["keys"][0].as_str().unwrap().to_owned(), vals)
        })
        .collect();
    (v["source"].as_str().unwrap().to_owned(), rows)
}

/// Aggregates by persona, checked to agree between the hourly aggregates and the raw table.
async fn groups(s: &TestServer, cred: &Cred) -> Vec<(String, Vec<f64>)> {
    let (src, view) = by_persona(s, cred, "auto").await;
    assert_eq!(src, "aggregate");
    let (src, raw) = by_persona(s, cred, "raw").await;
    assert_eq!(src, "raw");
    assert_eq!(
        view, raw,
        "the hourly aggregates and the raw table disagree"
    );
    view
}

async fn persona_count(s: &TestServer, cred: &Cred, persona: &str) -> usize {
    let v = s
        .ok(
            Method::POST,
            &format!("/api/v1/stores/{STORE}/statements/query"),
            cred,
            Some(json!({"filter": {"field": "persona", "eq": persona}, "fields": ["persona", "actor"]})),
            200,
        )
        .await;
    let items = v["items"].as_array().unwrap();
    assert!(items.iter().all(|i| i["persona"] == persona), "{v}");
    items.len()
}

#[tokio::test]
async fn merges_and_splits_change_aggregates_filters_and_agents_at_once() {
    let s = TestServer::start_with_root().await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    // a1: 3 statements, a2: 2, b1: 4, c1: 1.
    let mut batch = Vec::new();
    for (who, n) in [("a1", 3), ("a2", 2), ("b1", 4), ("c1", 1)] {
        for i in 0..n {
            batch.push(json!({
                "actor": {"mbox": mbox(who), "name": who},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
                "object": {"id": format!("http://example.com/act/{i}")},
                "timestamp": "2026-01-05T10:00:00Z",
            }));
        }
    }
    let res = s.post(json!(batch)).await;
    assert_eq!(res.status(), 200);
    let ids: Vec<String> = res.json().await.unwrap();
    s.wait_projected("1", 10).await;

    let create = |name: &str, who: &[&str]| {
        json!({"name": name, "attributes": {"team": "red"},
               "identifiers": who.iter().map(|w| json!({"mbox": mbox(w)})).collect::<Vec<_>>()})
    };
    let path = format!("/api/v1/stores/{STORE}/personas");
    let ann = s
        .ok(
            Method::POST,
            &path,
            &root,
            Some(create("Ann", &["a1", "a2"])),
            201,
        )
        .await;
    let ann_id = ann["id"].as_str().unwrap().to_owned();
    assert_eq!(ann["identifiers"][1], json!({"mbox": mbox("a2")}));
    let bea = s
        .ok(
            Method::POST,
            &path,
            &root,
            Some(create("Bea", &["b1"])),
            201,
        )
        .await;
    let bea_id = bea["id"].as_str().unwrap().to_owned();
    // An identifier belongs to one persona only.
    let (st, v) = s
        .call(Method::POST, &path, &root, Some(create("Dup", &["a1"])))
        .await;
    assert_eq!(st, 409, "{v}");
    wait_links(&s, 3).await;

    let c1 = format!("mbox:{}", mbox("c1"));
    assert_eq!(
        groups(&s, &root).await,
        vec![
            (ann_id.clone(), vec![5.0, 1.0, 2.0]),
            (bea_id.clone(), vec![4.0, 1.0, 1.0]),
            (c1.clone(), vec![1.0, 1.0, 1.0]),
        ]
        .tap_sorted()
    );
    assert_eq!(persona_count(&s, &root, &ann_id).await, 5);
    assert_eq!(persona_count(&s, &root, &c1).await, 1);

    // Merge Bea into Ann: one persona now holds a1, a2 and b1.
    let merged = s
        .ok(
            Method::POST,
            &format!("{path}/{ann_id}/merge"),
            &root,
            Some(json!({"from": bea_id})),
            200,
        )
        .await;
    assert_eq!(merged["identifiers"].as_array().unwrap().len(), 3);
    s.ok(Method::GET, &format!("{path}/{bea_id}"), &root, None, 404)
        .await;
    // The Agents resource answers the whole persona for any of its identifiers, at once.
    let agent = json!({"objectType": "Agent", "mbox": mbox("b1")}).to_string();
    let person = s
        .get_json(&format!("/xapi/agents?agent={}", urlencode(&agent)))
        .await;
    assert_eq!(person["objectType"], "Person");
    assert_eq!(person["name"][0], "Ann");
    let mut boxes: Vec<&str> = person["mbox"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    boxes.sort();
    assert_eq!(boxes, vec![mbox("a1"), mbox("a2"), mbox("b1")]);
    wait_links(&s, 4).await;
    assert_eq!(
        groups(&s, &root).await,
        vec![
            (ann_id.clone(), vec![9.0, 1.0, 3.0]),
            (c1.clone(), vec![1.0, 1.0, 1.0])
        ]
        .tap_sorted()
    );
    assert_eq!(persona_count(&s, &root, &ann_id).await, 9);
    // Statements were not rewritten: the projection still has its 10 rows, actors unchanged.
    assert_eq!(s.clickhouse_count("1").await, 10);

    // Split a2 off into a new persona.
    let split = s
        .ok(
            Method::POST,
            &format!("{path}/{ann_id}/split"),
            &root,
            Some(json!({"name": "Ann (work)", "identifiers": [{"mbox": mbox("a2")}]})),
            200,
        )
        .await;
    let work = split["created"]["id"].as_str().unwrap().to_owned();
    assert_eq!(split["from"]["identifiers"].as_array().unwrap().len(), 2);
    wait_links(&s, 5).await;
    assert_eq!(
        groups(&s, &root).await,
        vec![
            (ann_id.clone(), vec![7.0, 1.0, 2.0]),
            (work.clone(), vec![2.0, 1.0, 1.0]),
            (c1.clone(), vec![1.0, 1.0, 1.0]),
        ]
        .tap_sorted()
    );
    // A chart by persona names each persona; a person without one keeps their identifier key.
    let chart = s
        .ok(
            Method::POST,
            &format!("/api/v1/stores/{STORE}/widget-preview"),
            &root,
            Some(
                json!({"type": "bar", "query": {"kind": "aggregate", "group_by": ["persona"]},
                        "from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"}),
            ),
            200,
        )
        .await;
    assert_eq!(chart["rows"].as_array().unwrap().len(), 3, "{chart}");
    assert_eq!(
        chart["names"],
        json!({ann_id.clone(): "Ann", work.clone(): "Ann (work)"}),
        "{chart}"
    );
    // Totals: 3 personas among 4 actors.
    let total = s
        .ok(
            Method::POST,
            &format!("/api/v1/stores/{STORE}/aggregate"),
            &root,
            Some(json!({"measures": ["unique_personas", "unique_actors"]})),
            200,
        )
        .await;
    assert_eq!(total["rows"][0]["values"], json!([3.0, 4.0]));

    // Lookup: explicit and implicit personas.
    let look = |who: &str| {
        format!(
            "{path}/lookup?identifier={}",
            urlencode(&json!({"mbox": mbox(who)}).to_string())
        )
    };
    let l = s.ok(Method::GET, &look("a2"), &root, None, 200).await;
    assert_eq!(
        (l["id"].as_str().unwrap(), l["implicit"].as_bool().unwrap()),
        (work.as_str(), false)
    );
    let l = s.ok(Method::GET, &look("c1"), &root, None, 200).await;
    assert_eq!(
        (l["id"].as_str().unwrap(), l["implicit"].as_bool().unwrap()),
        (c1.as_str(), true)
    );

    // A voided statement leaves its persona's figures, on both plans (the aggregate plan
    // recomputes the voided statement's hour and actor from the raw table, persona joined).
    let res = s
        .post(json!({
            "actor": {"mbox": mbox("admin")},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
            "object": {"objectType": "StatementRef", "id": ids[0]},
        }))
        .await;
    assert_eq!(res.status(), 200);
    s.wait_projected("1", 11).await;
    let admin = format!("mbox:{}", mbox("admin"));
    let want = vec![
        (ann_id.clone(), vec![6.0, 1.0, 2.0]),
        (work.clone(), vec![2.0, 1.0, 1.0]),
        (c1.clone(), vec![1.0, 1.0, 1.0]),
        (admin, vec![1.0, 1.0, 1.0]),
    ]
    .tap_sorted();
    // The voids table and the voided index are written just after the statement's row.
    for _ in 0..200 {
        if by_persona(&s, &root, "raw").await.1 == want
            && by_persona(&s, &root, "auto").await.1 == want
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(groups(&s, &root).await, want);

    // Deleting a persona gives its identifiers back their implicit personas.
    s.ok(Method::DELETE, &format!("{path}/{work}"), &root, None, 204)
        .await;
    wait_links(&s, 6).await;
    let keys: Vec<String> = groups(&s, &root)
        .await
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert!(keys.contains(&format!("mbox:{}", mbox("a2"))), "{keys:?}");

    // Personas survive a restart (materialized in the embedded store).
    let s = s.restart().await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let again = s
        .ok(Method::GET, &format!("{path}/{ann_id}"), &root, None, 200)
        .await;
    assert_eq!(again["name"], "Ann");
    assert_eq!(again["identifiers"].as_array().unwrap().len(), 2);
    // The materialized personas are exactly what replaying the log's persona events gives.
    let (cfg, dir) = s.stop().await;
    let log = cairn_server::app::open_store(&cfg).unwrap();
    let loaded = cairn_core::personas::Personas::load(&*log)
        .unwrap()
        .read()
        .clone();
    let replayed = cairn_core::personas::Personas::replay(&*log).unwrap();
    assert_eq!(loaded, replayed);
    assert_eq!(loaded.len(), 1, "Ann is the one persona left");
    drop(dir);
}

trait TapSorted {
    fn tap_sorted(self) -> Self;
}

impl TapSorted for Vec<(String, Vec<f64>)> {
    fn tap_sorted(mut self) -> Self {
        self.sort_by(|a, b| a.0.cmp(&b.0));
        self
    }
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn viewers_read_analysts_change_outsiders_see_nothing() {
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
    let path = format!("/api/v1/stores/{store}/personas");
    let body = json!({"name": "P", "identifiers": [{"mbox": mbox("p")}]});
    let (st, _) = s
        .call(Method::POST, &path, &viewer, Some(body.clone()))
        .await;
    assert_eq!(st, 403);
    let (st, _) = s
        .call(Method::POST, &path, &outsider, Some(body.clone()))
        .await;
    assert_eq!(st, 404);
    let p = s.ok(Method::POST, &path, &analyst, Some(body), 201).await;
    let pid = p["id"].as_str().unwrap();
    let list = s.ok(Method::GET, &path, &viewer, None, 200).await;
    assert_eq!(list["items"][0]["id"], pid);
    let (st, v) = s
        .call(Method::GET, &format!("{path}/{pid}"), &outsider, None)
        .await;
    assert_eq!(st, 404);
    assert!(!v.to_string().contains(pid));
    let (st, _) = s
        .call(Method::DELETE, &format!("{path}/{pid}"), &viewer, None)
        .await;
    assert_eq!(st, 403);
    // Search: name, identifier or attribute value, case-insensitive, paged.
    let acct = json!({"name": "Quinn", "attributes": {"team": "Night Shift"},
        "identifiers": [{"account": {"homePage": "https://lms.example.com", "name": "q-7"}}]});
    let q = id(s.ok(Method::POST, &path, &analyst, Some(acct), 201).await);
    let found = |v: Value| -> Vec<String> {
        let items = v["items"].as_array().unwrap();
        items.iter().map(|i| id(i.clone())).collect()
    };
    for (text, want) in [
        ("quinn", vec![q.clone()]),
        ("P%40EXAMPLE", vec![pid.to_owned()]),
        ("q-7", vec![q.clone()]),
        ("night", vec![q.clone()]),
        ("nobody", vec![]),
        ("", vec![pid.to_owned(), q.clone()]),
    ] {
        let v = s
            .ok(Method::GET, &format!("{path}?q={text}"), &viewer, None, 200)
            .await;
        assert_eq!(found(v), want, "q={text}");
    }
    let first = s
        .ok(
            Method::GET,
            &format!("{path}?q=e&limit=1"),
            &viewer,
            None,
            200,
        )
        .await;
    assert_eq!(first["next_cursor"], pid, "{first}");
    let next = format!("{path}?q=e&limit=1&cursor={pid}");
    let second = s.ok(Method::GET, &next, &viewer, None, 200).await;
    assert_eq!(found(second.clone()), vec![q.clone()]);
    assert_eq!(second["next_cursor"], Value::Null);
    let (st, v) = s
        .call(Method::GET, &format!("{path}?search=x"), &viewer, None)
        .await;
    assert_eq!(st, 400, "{v}");
    // Bad identifiers get a 400 saying what is wrong.
    let (st, v) = s
        .call(
            Method::POST,
            &path,
            &analyst,
            Some(json!({"name": "Q", "identifiers": [{"mbox": "nope"}]})),
        )
        .await;
    assert_eq!(st, 400);
    assert!(v.to_string().contains("identifiers/0"), "{v}");
}
