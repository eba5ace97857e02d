//! The audit log over HTTP: administrative changes, deletions, share links and exports are
//! recorded with who and when (never bodies or secrets), reads are not; site administrators see
//! every record, organisation administrators their organisations' only, others none; filters
//! and paging; the records survive a restart (they are in the log).
mod common;

use common::{Cred, ROOT_EMAIL, ROOT_PASSWORD, TestServer};
use reqwest::Method;
use serde_json::{Value, json};

fn items(page: &Value) -> Vec<Value> {
    page["items"].as_array().unwrap().clone()
}

fn has(items: &[Value], method: &str, route: &str) -> bool {
    items
        .iter()
        .any(|i| i["method"] == method && i["route"] == route)
}

#[tokio::test]
async fn admin_actions_are_recorded_and_listed_by_who_may_see_them() {
    let s = TestServer::start_with_root().await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let me = s.ok(Method::GET, "/api/v1/me", &root, None, 200).await;
    let root_id = me["user"]["id"].as_str().unwrap().to_owned();
    let ok = |m: Method, path: String, body: Option<Value>, want: u16| {
        let (s, root) = (&s, root.clone());
        async move { s.ok(m, &path, &root, body, want).await }
    };
    let org = ok(
        Method::POST,
        "/api/v1/organisations".into(),
        Some(json!({"name": "School"})),
        201,
    )
    .await;
    let org = org["id"].as_str().unwrap().to_owned();
    let store = ok(
        Method::POST,
        "/api/v1/stores".into(),
        Some(json!({"organisation": org, "name": "Main"})),
        201,
    )
    .await;
    let store = store["id"].as_str().unwrap().to_owned();
    let client = ok(
        Method::POST,
        "/api/v1/clients".into(),
        Some(json!({"store": store, "name": "lms", "scopes": ["statements/write"]})),
        201,
    )
    .await;
    let client_secret = client["secret"].as_str().unwrap().to_owned();
    let dash = ok(
        Method::POST,
        format!("/api/v1/stores/{store}/dashboards/from-template"),
        Some(json!({"template": "activity-over-time"})),
        201,
    )
    .await;
    let dash = dash["id"].as_str().unwrap().to_owned();
    let link = ok(
        Method::POST,
        format!("/api/v1/dashboards/{dash}/links"),
        Some(json!({"visibility": "anyone", "url_filter": "signed"})),
        201,
    )
    .await;
    let link_secret = link["secret"].as_str().unwrap().to_owned();
    let export = s
        .api(
            Method::POST,
            &format!("/api/v1/stores/{store}/statements/export"),
            &root,
        )
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), 200);
    let _ = export.bytes().await.unwrap();
    // Another organisation, whose store is deleted.
    let other = ok(
        Method::POST,
        "/api/v1/organisations".into(),
        Some(json!({"name": "Other"})),
        201,
    )
    .await;
    let other = other["id"].as_str().unwrap().to_owned();
    let gone = ok(
        Method::POST,
        "/api/v1/stores".into(),
        Some(json!({"organisation": other, "name": "Old"})),
        201,
    )
    .await;
    let gone = gone["id"].as_str().unwrap().to_owned();
    ok(Method::DELETE, format!("/api/v1/stores/{gone}"), None, 204).await;
    // An administrator of the first organisation, and a user with no role.
    let (admin_id, admin) = s.user_with_token(&root, "admin@example.com").await;
    ok(
        Method::PUT,
        format!("/api/v1/organisations/{org}/members/{admin_id}"),
        Some(json!({"role": "admin"})),
        200,
    )
    .await;
    let (_, nobody) = s.user_with_token(&root, "nobody@example.com").await;
    // Reads, analytics queries and sign-ins are not recorded.
    ok(Method::GET, "/api/v1/stores".into(), None, 200).await;
    s.ok(
        Method::PATCH,
        &format!("/api/v1/stores/{store}"),
        &admin,
        Some(json!({"name": "Renamed"})),
        200,
    )
    .await;

    // The site administrator sees everything, newest first.
    let all = s
        .ok(Method::GET, "/api/v1/audit?limit=1000", &root, None, 200)
        .await;
    let text = all.to_string();
    for secret in [
        client_secret.as_str(),
        &link_secret,
        ROOT_PASSWORD,
        "a long password",
    ] {
        assert!(!text.contains(secret), "no secret in the audit log");
    }
    let all = items(&all);
    assert!(has(&all, "POST", "/api/v1/organisations"));
    assert!(has(&all, "POST", "/api/v1/stores"));
    assert!(has(&all, "POST", "/api/v1/clients"));
    assert!(has(&all, "DELETE", "/api/v1/stores/{id}"));
    assert!(has(&all, "POST", "/api/v1/dashboards/{id}/links"));
    assert!(has(&all, "POST", "/api/v1/stores/{id}/statements/export"));
    assert!(
        !all.iter().any(|i| i["method"] == "GET"),
        "reads are not recorded"
    );
    assert!(
        !all.iter()
            .any(|i| i["route"].as_str().unwrap().starts_with("/api/v1/auth/"))
    );
    let kind = |route: &str, method: &str| {
        all.iter()
            .find(|i| i["route"] == route && i["method"] == method)
            .unwrap()
            .clone()
    };
    let deletion = kind("/api/v1/stores/{id}", "DELETE");
    assert_eq!(deletion["kind"], "deletion");
    assert_eq!(deletion["targets"], json!([gone]));
    assert_eq!(deletion["organisation"], json!(other));
    assert_eq!(deletion["actor"], json!(root_id));
    assert_eq!(deletion["status"], 204);
    assert_eq!(
        kind("/api/v1/dashboards/{id}/links", "POST")["kind"],
        "share_link"
    );
    assert_eq!(
        kind("/api/v1/stores/{id}/statements/export", "POST")["kind"],
        "export"
    );
    let created = kind("/api/v1/clients", "POST");
    assert_eq!(
        created["targets"],
        json!([client["client"]["id"]]),
        "what was created"
    );
    assert_eq!(created["organisation"], json!(org));
    let times: Vec<&str> = all.iter().map(|i| i["at"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    assert_eq!(all[0]["actor"], json!(admin_id), "the rename came last");

    // The organisation's administrator sees that organisation's records only.
    let theirs = items(
        &s.ok(Method::GET, "/api/v1/audit?limit=1000", &admin, None, 200)
            .await,
    );
    assert!(!theirs.is_empty());
    assert!(
        theirs.iter().all(|i| i["organisation"] == json!(org)),
        "{theirs:?}"
    );
    assert!(has(&theirs, "POST", "/api/v1/dashboards/{id}/links"));
    assert!(!has(&theirs, "DELETE", "/api/v1/stores/{id}"));
    // Anyone else: 403.
    let (st, _) = s.call(Method::GET, "/api/v1/audit", &nobody, None).await;
    assert_eq!(st, 403);
    let (st, _) = s
        .call(Method::GET, "/api/v1/audit", &Cred::None, None)
        .await;
    assert_eq!(st, 401);

    // Filters.
    let by_admin = items(
        &s.ok(
            Method::GET,
            &format!("/api/v1/audit?actor={admin_id}"),
            &root,
            None,
            200,
        )
        .await,
    );
    // Their personal token, then the rename.
    assert_eq!(by_admin.len(), 2, "{by_admin:?}");
    assert!(by_admin.iter().all(|i| i["actor"] == json!(admin_id)));
    assert_eq!(by_admin[0]["route"], "/api/v1/stores/{id}");
    assert_eq!(by_admin[1]["route"], "/api/v1/me/tokens");
    let deletions = items(
        &s.ok(Method::GET, "/api/v1/audit?kind=deletion", &root, None, 200)
            .await,
    );
    assert_eq!(deletions.len(), 1);
    let future = items(
        &s.ok(
            Method::GET,
            "/api/v1/audit?since=2999-01-01T00:00:00Z",
            &root,
            None,
            200,
        )
        .await,
    );
    assert!(future.is_empty());
    let past = items(
        &s.ok(
            Method::GET,
            "/api/v1/audit?until=2000-01-01T00:00:00Z",
            &root,
            None,
            200,
        )
        .await,
    );
    assert!(past.is_empty());
    for bad in ["kind=nope", "since=yesterday", "cursor=x", "colour=red"] {
        let (st, e) = s
            .call(Method::GET, &format!("/api/v1/audit?{bad}"), &root, None)
            .await;
        assert_eq!(st, 400, "{bad}: {e}");
    }

    // Paging: every record once, in the same order.
    let mut paged = Vec::new();
    let mut path = "/api/v1/audit?limit=3".to_owned();
    loop {
        let page = s.ok(Method::GET, &path, &root, None, 200).await;
        paged.extend(items(&page));
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/audit?limit=3&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(paged, all);

    // The records are in the log: they survive a restart.
    let s = s.restart().await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let again = items(
        &s.ok(Method::GET, "/api/v1/audit?limit=1000", &root, None, 200)
            .await,
    );
    assert_eq!(again, all);
}
