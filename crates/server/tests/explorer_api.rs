//! What the query builder, the statement explorer and exports read, on a running node: saved
//! filters (named per store, viewers read, analysts change, outsiders get 404, names unique),
//! statements newest first with a cursor and the whole statement, and exports whose times are
//! ISO 8601 in the chosen zone, started by a plain GET link with the session cookie.
mod common;

use common::{Cred, ROOT_EMAIL, ROOT_PASSWORD, TestServer};
use reqwest::Method;
use serde_json::{Value, json};

struct Setup {
    s: TestServer,
    store: String,
    root: Cred,
    viewer: Cred,
    analyst: Cred,
    outsider: Cred,
}

/// A store with 10 statements, `timestamp` 2025-07-01T10:0i:00.25Z, verbs v0 (even i) / v1.
async fn setup() -> Setup {
    let s = TestServer::start_with_root().await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let id = |v: Value| v["id"].as_str().unwrap().to_owned();
    let mut orgs = Vec::new();
    for name in ["A", "B"] {
        let body = Some(json!({ "name": name }));
        orgs.push(id(s
            .ok(Method::POST, "/api/v1/organisations", &root, body, 201)
            .await));
    }
    let body = Some(json!({"organisation": orgs[0], "name": "S"}));
    let store = id(s.ok(Method::POST, "/api/v1/stores", &root, body, 201).await);
    let body = Some(json!({"store": store, "name": "lms", "scopes": ["all"]}));
    let c = s
        .ok(Method::POST, "/api/v1/clients", &root, body, 201)
        .await;
    let (key, secret) = (
        c["client"]["key"].as_str().unwrap(),
        c["secret"].as_str().unwrap(),
    );
    let batch: Vec<Value> = (0..10)
        .map(|i| {
            json!({
                "actor": {"mbox": format!("mailto:p{i}@example.com")},
                "verb": {"id": format!("http://example.com/verbs/v{}", i % 2)},
                "object": {"id": "http://example.com/act/1"},
                "timestamp": format!("2025-07-01T10:0{i}:00.25Z"),
            })
        })
        .collect();
    let res = s
        .xapi(Method::POST, "/xapi/statements", key, secret)
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    s.wait_projected(&format!("store = toUUID('{store}')"), 10)
        .await;
    let mut creds = Vec::new();
    for (org, email, role) in [
        (&orgs[0], "viewer@example.com", "viewer"),
        (&orgs[0], "analyst@example.com", "analyst"),
        (&orgs[1], "outsider@example.com", "owner"),
    ] {
        let (uid, cred) = s.user_with_token(&root, email).await;
        let path = format!("/api/v1/organisations/{org}/members/{uid}");
        s.ok(
            Method::PUT,
            &path,
            &root,
            Some(json!({ "role": role })),
            200,
        )
        .await;
        creds.push(cred);
    }
    let outsider = creds.pop().unwrap();
    let analyst = creds.pop().unwrap();
    let viewer = creds.pop().unwrap();
    Setup {
        s,
        store,
        root,
        viewer,
        analyst,
        outsider,
    }
}

#[tokio::test]
async fn saved_filters_by_name_per_store_with_roles() {
    let Setup {
        s,
        store,
        viewer,
        analyst,
        outsider,
        ..
    } = setup().await;
    let list = format!("/api/v1/stores/{store}/filters");
    let body = json!({"name": "Completions", "description": "done",
        "filter": {"field": "verb", "eq": "http://example.com/verbs/v1"}});
    // Viewers read but do not save; outsiders see no store.
    let (st, _) = s
        .call(Method::POST, &list, &viewer, Some(body.clone()))
        .await;
    assert_eq!(st, 403);
    let (st, _) = s.call(Method::GET, &list, &outsider, None).await;
    assert_eq!(st, 404);
    let created = s
        .ok(Method::POST, &list, &analyst, Some(body.clone()), 201)
        .await;
    assert_eq!(created["name"], "Completions");
    assert_eq!(created["filter"]["eq"], "http://example.com/verbs/v1");
    let one = format!("{list}/{}", created["id"].as_str().unwrap());
    // The same name, in another case, is taken.
    let dup = json!({"name": "completions", "filter": {"field": "verb", "exists": true}});
    let (st, v) = s.call(Method::POST, &list, &analyst, Some(dup)).await;
    assert_eq!(st, 409, "{v}");
    // A filter the language does not know is refused, naming the node.
    let bad = json!({"name": "bad", "filter": {"field": "nope", "eq": 1}});
    let (st, v) = s.call(Method::POST, &list, &analyst, Some(bad)).await;
    assert_eq!(st, 400);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("/filter/field"),
        "{v}"
    );
    let page = s.ok(Method::GET, &list, &viewer, None, 200).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let got = s.ok(Method::GET, &one, &viewer, None, 200).await;
    assert_eq!(got["description"], "done");
    let patch = json!({"name": "Second verb", "filter": {"field": "verb", "prefix": "http://"}});
    let renamed = s.ok(Method::PATCH, &one, &analyst, Some(patch), 200).await;
    assert_eq!(renamed["name"], "Second verb");
    assert_eq!(renamed["filter"]["prefix"], "http://");
    assert_eq!(renamed["created"], created["created"]);
    let (st, _) = s.call(Method::DELETE, &one, &outsider, None).await;
    assert_eq!(st, 404);
    s.ok(Method::DELETE, &one, &analyst, None, 204).await;
    let (st, _) = s.call(Method::GET, &one, &viewer, None).await;
    assert_eq!(st, 404);
    // Saved filters survive a restart (they are events in the log, rows in the store).
    s.ok(Method::POST, &list, &analyst, Some(body), 201).await;
    let s = s.restart().await;
    let page = s.ok(Method::GET, &list, &viewer, None, 200).await;
    assert_eq!(page["items"][0]["name"], "Completions");
}

#[tokio::test]
async fn newest_first_pages_and_exports_with_zoned_times() {
    let Setup {
        s,
        store,
        root,
        viewer,
        outsider,
        ..
    } = setup().await;
    let query = format!("/api/v1/stores/{store}/statements/query");
    // Newest first, 4 a page, with the whole statement and times in Paris (summer: +02:00).
    let body = json!({"fields": ["seq", "timestamp", "statement"], "order": "desc",
        "tz": "Europe/Paris"});
    let mut seqs = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{query}?limit=4&cursor={c}"),
            None => format!("{query}?limit=4"),
        };
        let page = s
            .ok(Method::POST, &url, &viewer, Some(body.clone()), 200)
            .await;
        for item in page["items"].as_array().unwrap() {
            seqs.push(item["seq"].as_u64().unwrap());
            let minute = item["statement"]["timestamp"].as_str().unwrap()[15..16].to_owned();
            assert_eq!(
                item["timestamp"],
                format!("2025-07-01T12:0{minute}:00.250000+02:00"),
                "{item}"
            );
        }
        cursor = page["next_cursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(seqs.len(), 10, "{seqs:?}");
    assert!(seqs.windows(2).all(|w| w[0] > w[1]), "{seqs:?}");
    // Without a zone, a page keeps epoch microseconds.
    let page = s
        .ok(
            Method::POST,
            &format!("{query}?limit=1"),
            &viewer,
            Some(json!({"fields": ["stored"]})),
            200,
        )
        .await;
    assert!(page["items"][0]["stored"].is_i64(), "{page}");

    // Exports: UTC by default, or the chosen zone; CSV through a GET link with the cookie.
    let export = format!("/api/v1/stores/{store}/statements/export");
    let text = s
        .api(Method::POST, &format!("{export}?format=ndjson"), &viewer)
        .json(&json!({"fields": ["timestamp"], "filter": {"field": "verb", "eq": "http://example.com/verbs/v0"}}))
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
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[0]["timestamp"], "2025-07-01T10:00:00.250000+00:00");
    let request =
        json!({"fields": ["actor", "timestamp"], "tz": "America/New_York", "order": "desc"});
    let link = format!(
        "{export}?format=csv&request={}",
        urlencode(&request.to_string())
    );
    let res = s.api(Method::GET, &link, &root).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let disposition = res.headers()["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"statements-")
            && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    let csv = res.text().await.unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], r#""actor","timestamp""#);
    assert_eq!(rows.len(), 11);
    assert_eq!(
        rows[1],
        r#""mbox:mailto:p9@example.com","2025-07-01T06:09:00.250000-04:00""#
    );
    // Bad requests are 400s naming what is wrong; outsiders get 404.
    for (url, what) in [
        (
            format!("{export}?format=csv&request={}", urlencode("{")),
            "request: not JSON",
        ),
        (
            format!("{export}?request={}", urlencode(r#"{"tz":"Mars/Base"}"#)),
            "/tz",
        ),
        (
            format!("{export}?request={}", urlencode(r#"{"order":"up"}"#)),
            "/order",
        ),
    ] {
        let (st, v) = s.call(Method::GET, &url, &viewer, None).await;
        assert_eq!(st, 400, "{url}: {v}");
        assert!(
            v["error"]["message"].as_str().unwrap().starts_with(what),
            "{v}"
        );
    }
    let (st, _) = s.call(Method::GET, &export, &outsider, None).await;
    assert_eq!(st, 404);
    let (st, _) = s.call(Method::GET, &export, &Cred::None, None).await;
    assert_eq!(st, 401);
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
