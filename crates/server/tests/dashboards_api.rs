//! Dashboards on a running node with real ClickHouse: viewers read, analysts change, outsiders
//! see nothing; widget queries are validated when saved (400 naming the node); widget data
//! AND-s the dashboard, widget and request filters over the dashboard's time range; templates,
//! duplicate and layout; deleting cascades; the materialized rows equal a replay of the log and
//! survive a restart and `cairn reproject`.
mod common;

use common::{Cred, ROOT_EMAIL, ROOT_PASSWORD, TestServer, statement};
use reqwest::Method;
use serde_json::{Value, json};

const STORE: &str = "00000000-0000-0000-0000-000000000001";
const V_DONE: &str = "http://adlnet.gov/expapi/verbs/completed";
const V_SEEN: &str = "http://adlnet.gov/expapi/verbs/experienced";

/// Root, a viewer and an analyst of the default store's organisation, and an outsider.
async fn people(s: &TestServer) -> (Cred, Cred, Cred, Cred) {
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let store = s
        .ok(
            Method::GET,
            &format!("/api/v1/stores/{STORE}"),
            &root,
            None,
            200,
        )
        .await;
    let org = store["organisation"].as_str().unwrap().to_owned();
    let (viewer_id, viewer) = s.user_with_token(&root, "viewer@example.com").await;
    let (analyst_id, analyst) = s.user_with_token(&root, "analyst@example.com").await;
    let (_, outsider) = s.user_with_token(&root, "outsider@example.com").await;
    for (user, role) in [(&viewer_id, "viewer"), (&analyst_id, "analyst")] {
        let path = format!("/api/v1/organisations/{org}/members/{user}");
        s.ok(Method::PUT, &path, &root, Some(json!({"role": role})), 200)
            .await;
    }
    (root, viewer, analyst, outsider)
}

async fn seed(s: &TestServer) {
    let mut batch = Vec::new();
    for i in 0..6 {
        let verb = if i < 4 { V_DONE } else { V_SEEN };
        let mut st = statement(verb, &format!("http://example.com/a/{}", i % 2));
        st["timestamp"] = json!("2026-01-10T12:00:00Z");
        batch.push(st);
    }
    let mut old = statement(V_DONE, "http://example.com/a/0");
    old["timestamp"] = json!("2025-01-10T12:00:00Z");
    batch.push(old);
    assert_eq!(s.post(json!(batch)).await.status(), 200);
    s.wait_projected("1", 7).await;
}

fn count(data: &Value) -> f64 {
    data["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["values"][0].as_f64().unwrap())
        .sum()
}

#[tokio::test]
async fn dashboards_widgets_roles_and_data() {
    let s = TestServer::start_with_root().await;
    let (root, viewer, analyst, outsider) = people(&s).await;
    seed(&s).await;
    let list = format!("/api/v1/stores/{STORE}/dashboards");
    let body = json!({"name": "Course", "time_range": {"from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z"},
                      "tz": "Europe/Paris", "filter": {"field": "object.id", "eq": "http://example.com/a/0"}});
    assert_eq!(
        s.call(Method::POST, &list, &viewer, Some(body.clone()))
            .await
            .0,
        403
    );
    assert_eq!(
        s.call(Method::POST, &list, &outsider, Some(body.clone()))
            .await
            .0,
        404
    );
    let d = s.ok(Method::POST, &list, &analyst, Some(body), 201).await;
    let did = d["id"].as_str().unwrap().to_owned();
    assert_eq!(d["tz"], "Europe/Paris");
    assert_eq!(d["time_range"]["from"], "2026-01-01T00:00:00.000000Z");
    let dpath = format!("/api/v1/dashboards/{did}");
    assert_eq!(s.call(Method::GET, &dpath, &outsider, None).await.0, 404);
    let page = s.ok(Method::GET, &list, &viewer, None, 200).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(s.call(Method::GET, &list, &outsider, None).await.0, 404);

    // Bad queries are refused when saved, naming the node.
    let wpath = format!("{dpath}/widgets");
    for (q, pointer) in [
        (
            json!({"kind": "aggregate", "group_by": ["nope"]}),
            "/query/group_by/0",
        ),
        (
            json!({"kind": "aggregate", "filter": {"field": "nope", "eq": 1}}),
            "/query/filter/field",
        ),
        (
            json!({"kind": "statements", "fields": ["nope"]}),
            "/query/fields",
        ),
        (json!({"kind": "sql"}), "/query/kind"),
    ] {
        let (st, e) = s
            .call(
                Method::POST,
                &wpath,
                &analyst,
                Some(json!({"title": "t", "type": "bar", "query": q})),
            )
            .await;
        assert_eq!(st, 400, "{e}");
        assert!(
            e["error"]["message"].as_str().unwrap().starts_with(pointer),
            "{e}"
        );
    }
    let w = json!({"title": "Verbs", "type": "bar", "query": {"kind": "aggregate", "group_by": ["verb"],
                   "filter": {"field": "verb", "eq": V_DONE}}, "options": {"stacked": true}});
    assert_eq!(
        s.call(Method::POST, &wpath, &viewer, Some(w.clone()))
            .await
            .0,
        403
    );
    let w = s.ok(Method::POST, &wpath, &analyst, Some(w), 201).await;
    let wid = w["id"].as_str().unwrap().to_owned();
    assert_eq!(w["options"]["stacked"], true);
    let table = s.ok(Method::POST, &wpath, &analyst, Some(json!({"title": "Rows", "type": "table",
        "query": {"kind": "statements", "fields": ["verb", "object.id"], "page_size": 2}, "position": {"x": 6, "y": 0, "w": 6, "h": 4}})), 201).await;
    let tid = table["id"].as_str().unwrap().to_owned();
    let funnel = s.ok(Method::POST, &wpath, &analyst, Some(json!({"title": "F", "type": "funnel",
        "query": {"kind": "funnel", "steps": [{"label": "a", "filter": {"field": "verb", "eq": V_DONE}}, {"label": "b", "filter": {"field": "verb", "eq": V_SEEN}}]}})), 201).await;
    let fid = funnel["id"].as_str().unwrap().to_owned();

    // Data: dashboard filter (a/0) ∧ widget filter (completed) over January 2026: 2 statements
    // (the 2025 one is outside the range).
    let data = s
        .ok(
            Method::POST,
            &format!("{wpath}/{wid}/data"),
            &viewer,
            Some(json!({})),
            200,
        )
        .await;
    assert_eq!(data["kind"], "aggregate");
    assert_eq!(count(&data), 2.0, "{data}");
    // The verb keys come with their display names, as the statements gave them.
    assert_eq!(data["names"], json!({V_DONE: "did"}), "{data}");
    // The request's filter is AND-ed; its from/to replace the dashboard's.
    let none = s
        .ok(
            Method::POST,
            &format!("{wpath}/{wid}/data"),
            &viewer,
            Some(json!({"filter": {"field": "object.id", "eq": "http://example.com/a/1"}})),
            200,
        )
        .await;
    assert_eq!(count(&none), 0.0);
    let old = s
        .ok(
            Method::POST,
            &format!("{wpath}/{wid}/data"),
            &viewer,
            Some(json!({"from": "2025-01-01T00:00:00Z", "to": "2025-02-01T00:00:00Z"})),
            200,
        )
        .await;
    assert_eq!(count(&old), 1.0);
    // A statements widget pages within the range and the dashboard filter.
    let p1 = s
        .ok(
            Method::POST,
            &format!("{wpath}/{tid}/data"),
            &viewer,
            Some(json!({})),
            200,
        )
        .await;
    assert_eq!(p1["kind"], "statements");
    assert_eq!(p1["items"].as_array().unwrap().len(), 2);
    let p2 = s
        .ok(
            Method::POST,
            &format!("{wpath}/{tid}/data"),
            &viewer,
            Some(json!({"cursor": p1["next_cursor"]})),
            200,
        )
        .await;
    assert_eq!(p2["items"].as_array().unwrap().len(), 1, "{p2}");
    assert!(
        p2["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["object.id"] == "http://example.com/a/0"),
        "{p2}"
    );
    // A funnel over the dashboard's range and filter: the learner completed a/0, then
    // experienced it (a later statement at the same time).
    let steps = |d: &Value| d["steps"].clone();
    let f = s
        .ok(
            Method::POST,
            &format!("{wpath}/{fid}/data"),
            &viewer,
            Some(json!({})),
            200,
        )
        .await;
    assert_eq!(f["kind"], "funnel");
    assert_eq!(
        steps(&f),
        json!([{"label": "a", "count": 1}, {"label": "b", "count": 1}])
    );
    // In 2025 the learner only completed it.
    let f = s
        .ok(
            Method::POST,
            &format!("{wpath}/{fid}/data"),
            &viewer,
            Some(json!({"from": "2025-01-01T00:00:00Z", "to": "2025-02-01T00:00:00Z"})),
            200,
        )
        .await;
    assert_eq!(
        steps(&f),
        json!([{"label": "a", "count": 1}, {"label": "b", "count": 0}])
    );
    // The request's filter is AND-ed into the funnel's statements too.
    let f = s
        .ok(
            Method::POST,
            &format!("{wpath}/{fid}/data"),
            &viewer,
            Some(json!({"filter": {"field": "verb", "eq": V_DONE}})),
            200,
        )
        .await;
    assert_eq!(
        steps(&f),
        json!([{"label": "a", "count": 1}, {"label": "b", "count": 0}])
    );
    assert_eq!(
        s.call(
            Method::POST,
            &format!("{wpath}/{wid}/data"),
            &outsider,
            Some(json!({}))
        )
        .await
        .0,
        404
    );
    // Preview of an unsaved widget.
    let prev = s.ok(Method::POST, &format!("/api/v1/stores/{STORE}/widget-preview"), &viewer,
        Some(json!({"type": "counter", "query": {"kind": "aggregate"}, "from": "2020-01-01T00:00:00Z", "to": "2030-01-01T00:00:00Z"})), 200).await;
    assert_eq!(count(&prev), 7.0);

    // Patch, layout, duplicate.
    let d = s
        .ok(
            Method::PATCH,
            &dpath,
            &analyst,
            Some(json!({"filter": null, "time_range": {"preset": "2y"}, "name": "Renamed"})),
            200,
        )
        .await;
    assert!(d["filter"].is_null());
    assert_eq!(d["time_range"]["preset"], "2y");
    assert_eq!(
        s.call(
            Method::PATCH,
            &dpath,
            &analyst,
            Some(json!({"tz": "Mars/Olympus"}))
        )
        .await
        .0,
        400
    );
    let items = json!({"items": [{"widget": wid, "x": 0, "y": 0, "w": 12, "h": 3}, {"widget": tid, "x": 0, "y": 3, "w": 12, "h": 3}]});
    let d = s
        .ok(
            Method::PUT,
            &format!("{dpath}/layout"),
            &analyst,
            Some(items),
            200,
        )
        .await;
    assert_eq!(d["layout"].as_array().unwrap().len(), 2);
    let bad = json!({"items": [{"widget": common::uuid(), "x": 0, "y": 0, "w": 1, "h": 1}]});
    assert_eq!(
        s.call(Method::PUT, &format!("{dpath}/layout"), &analyst, Some(bad))
            .await
            .0,
        400
    );
    let copy = s
        .ok(
            Method::POST,
            &format!("{dpath}/duplicate"),
            &analyst,
            Some(json!({})),
            201,
        )
        .await;
    assert_eq!(copy["name"], "Renamed (copy)");
    assert_eq!(copy["widgets"].as_array().unwrap().len(), 3);
    assert_eq!(copy["layout"].as_array().unwrap().len(), 2);
    assert_ne!(copy["widgets"][0]["id"], wid);

    // Widget patch and delete.
    let w = s
        .ok(
            Method::PATCH,
            &format!("{wpath}/{wid}"),
            &analyst,
            Some(json!({"type": "pie", "title": "Pie"})),
            200,
        )
        .await;
    assert_eq!(
        (w["type"].as_str(), w["title"].as_str()),
        (Some("pie"), Some("Pie"))
    );
    assert_eq!(
        s.call(
            Method::PATCH,
            &format!("{wpath}/{wid}"),
            &analyst,
            Some(json!({"type": "funnel"}))
        )
        .await
        .0,
        400
    );
    s.ok(
        Method::DELETE,
        &format!("{wpath}/{tid}"),
        &analyst,
        None,
        204,
    )
    .await;
    let d = s.ok(Method::GET, &dpath, &viewer, None, 200).await;
    assert_eq!(d["widgets"].as_array().unwrap().len(), 2);
    assert_eq!(d["layout"].as_array().unwrap().len(), 1);

    // Templates.
    let t = s
        .ok(
            Method::GET,
            "/api/v1/dashboard-templates",
            &viewer,
            None,
            200,
        )
        .await;
    assert_eq!(t["items"].as_array().unwrap().len(), 7);
    let made = s
        .ok(
            Method::POST,
            &format!("{list}/from-template"),
            &analyst,
            Some(json!({"template": "weekday-hour", "name": "When"})),
            201,
        )
        .await;
    assert_eq!(made["name"], "When");
    let hid = made["widgets"][0]["id"].as_str().unwrap();
    let heat = s
        .ok(
            Method::POST,
            &format!(
                "/api/v1/dashboards/{}/widgets/{hid}/data",
                made["id"].as_str().unwrap()
            ),
            &viewer,
            Some(
                json!({"from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z", "tz": "UTC"}),
            ),
            200,
        )
        .await;
    // Saturday 10 January 2026, 12:00 UTC: weekday and hour keys, 6 statements.
    assert_eq!(heat["rows"].as_array().unwrap().len(), 1, "{heat}");
    assert_eq!(count(&heat), 6.0);
    assert_eq!(
        s.call(
            Method::POST,
            &format!("{list}/from-template"),
            &analyst,
            Some(json!({"template": "nope"}))
        )
        .await
        .0,
        400
    );

    // Deleting a dashboard deletes its widgets; deleting the store makes dashboards unreachable.
    s.ok(Method::DELETE, &dpath, &analyst, None, 204).await;
    assert_eq!(s.call(Method::GET, &dpath, &viewer, None).await.0, 404);
    assert_eq!(
        s.call(
            Method::POST,
            &format!("{wpath}/{wid}/data"),
            &viewer,
            Some(json!({}))
        )
        .await
        .0,
        404
    );
    let copy_path = format!("/api/v1/dashboards/{}", copy["id"].as_str().unwrap());
    s.ok(Method::GET, &copy_path, &viewer, None, 200).await;
    s.ok(
        Method::DELETE,
        &format!("/api/v1/stores/{STORE}"),
        &root,
        None,
        204,
    )
    .await;
    assert_eq!(s.call(Method::GET, &copy_path, &root, None).await.0, 404);
    assert_eq!(s.call(Method::GET, &list, &root, None).await.0, 404);
    s.stop().await;
}
