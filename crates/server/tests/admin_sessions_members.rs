//! The admin API the administration screens need: a user's open sessions (list, end one) and
//! adding a member of an organisation by email, with their refusals.
mod common;

use common::{Cred, ROOT_EMAIL, ROOT_PASSWORD, TestServer};
use reqwest::Method;
use serde_json::json;

const PW: &str = "a long password";

#[tokio::test]
async fn sessions_are_listed_and_ended_by_their_user_or_a_site_admin() {
    let s = TestServer::start_with_root().await;
    let root_sid = s.login(ROOT_EMAIL, ROOT_PASSWORD).await;
    let root = Cred::Session(root_sid.clone());
    let ada = s
        .ok(
            Method::POST,
            "/api/v1/users",
            &root,
            Some(json!({"email": "ada@example.com", "password": PW})),
            201,
        )
        .await;
    let ada_id = ada["id"].as_str().unwrap().to_owned();
    let a1 = Cred::Session(s.login("ada@example.com", PW).await);
    let a2 = Cred::Session(s.login("ada@example.com", PW).await);
    let path = format!("/api/v1/users/{ada_id}/sessions");

    // Ada sees her two sessions, oldest first, the one she asks with marked current.
    let page = s.ok(Method::GET, &path, &a2, None, 200).await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{page}");
    assert_eq!(items[0]["current"], false);
    assert_eq!(items[1]["current"], true);
    assert_eq!(items[0]["user"], ada_id.as_str());
    assert!(items[0]["created"].as_str().unwrap().ends_with('Z'));
    assert!(page["next_cursor"].is_null());
    let first = items[0]["id"].as_str().unwrap().to_owned();

    // Paged like every list.
    let p1 = s
        .ok(Method::GET, &format!("{path}?limit=1"), &a2, None, 200)
        .await;
    assert_eq!(p1["items"].as_array().unwrap().len(), 1);
    let cur = p1["next_cursor"].as_str().unwrap();
    let p2 = s
        .ok(
            Method::GET,
            &format!("{path}?limit=1&cursor={cur}"),
            &a2,
            None,
            200,
        )
        .await;
    assert_eq!(p2["items"][0]["current"], true);

    // Another user (no site admin) cannot see or end Ada's sessions: 404, as for a stranger.
    s.ok(
        Method::POST,
        "/api/v1/users",
        &root,
        Some(json!({"email": "bob@example.com", "password": PW})),
        201,
    )
    .await;
    let bob = Cred::Session(s.login("bob@example.com", PW).await);
    s.ok(Method::GET, &path, &bob, None, 404).await;
    s.ok(Method::DELETE, &format!("{path}/{first}"), &bob, None, 404)
        .await;

    // Ada ends her first session: its cookie stops working, the other goes on.
    s.ok(Method::DELETE, &format!("{path}/{first}"), &a2, None, 204)
        .await;
    s.ok(Method::GET, "/api/v1/me", &a1, None, 401).await;
    s.ok(Method::GET, "/api/v1/me", &a2, None, 200).await;
    s.ok(Method::DELETE, &format!("{path}/{first}"), &a2, None, 404)
        .await;

    // A site administrator lists and ends them too; current is false for someone else's.
    let page = s.ok(Method::GET, &path, &root, None, 200).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["current"], false);
    let second = page["items"][0]["id"].as_str().unwrap().to_owned();
    s.ok(
        Method::DELETE,
        &format!("{path}/{second}"),
        &root,
        None,
        204,
    )
    .await;
    s.ok(Method::GET, "/api/v1/me", &a2, None, 401).await;

    // Bad ids are 400 with a message.
    let (st, e) = s
        .call(Method::DELETE, &format!("{path}/nope"), &root, None)
        .await;
    assert_eq!(st, 400);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not an id")
    );
    let (st, _) = s
        .call(Method::GET, &format!("{path}?cursor=zz"), &root, None)
        .await;
    assert_eq!(st, 400);
}

#[tokio::test]
async fn members_are_added_by_email_and_listed_with_their_names() {
    let s = TestServer::start_with_root().await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let org = s
        .ok(
            Method::POST,
            "/api/v1/organisations",
            &root,
            Some(json!({"name": "Acme"})),
            201,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (email, name) in [("ada@example.com", "Ada"), ("bob@example.com", "Bob")] {
        s.ok(
            Method::POST,
            "/api/v1/users",
            &root,
            Some(json!({"email": email, "name": name, "password": PW})),
            201,
        )
        .await;
    }
    let members = format!("/api/v1/organisations/{org}/members");
    let m = s
        .ok(
            Method::POST,
            &members,
            &root,
            Some(json!({"email": " ADA@example.com ", "role": "admin"})),
            200,
        )
        .await;
    assert_eq!(m["email"], "ada@example.com");
    assert_eq!(m["name"], "Ada");
    assert_eq!(m["role"], "admin");

    // Ada (admin, not owner) adds Bob as analyst, may not grant owner.
    let ada = Cred::Session(s.login("ada@example.com", PW).await);
    s.ok(
        Method::POST,
        &members,
        &ada,
        Some(json!({"email": "bob@example.com", "role": "analyst"})),
        200,
    )
    .await;
    let (st, e) = s
        .call(
            Method::POST,
            &members,
            &ada,
            Some(json!({"email": "bob@example.com", "role": "owner"})),
        )
        .await;
    assert_eq!(st, 403, "{e}");
    let list = s.ok(Method::GET, &members, &ada, None, 200).await;
    let got: Vec<(String, String)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["email"].as_str().unwrap().to_owned(),
                i["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("ada@example.com".into(), "admin".into()),
            ("bob@example.com".into(), "analyst".into())
        ]
    );

    // Unknown emails, empty emails and unknown roles are 400s that say what is wrong.
    for (body, needle) in [
        (
            json!({"email": "nobody@example.com", "role": "viewer"}),
            "no user has the email",
        ),
        (
            json!({"email": "  ", "role": "viewer"}),
            "the email is empty",
        ),
        (
            json!({"email": "bob@example.com", "role": "boss"}),
            "role must be",
        ),
    ] {
        let (st, e) = s.call(Method::POST, &members, &ada, Some(body)).await;
        assert_eq!(st, 400, "{e}");
        assert!(
            e["error"]["message"].as_str().unwrap().contains(needle),
            "{e}"
        );
    }
    let (st, _) = s
        .call(
            Method::POST,
            &members,
            &ada,
            Some(json!({"email": "bob@example.com", "role": "viewer", "x": 1})),
        )
        .await;
    assert_eq!(st, 400, "unknown fields are refused");

    // An analyst cannot add members, nor learn whether an email has an account.
    let bob = Cred::Session(s.login("bob@example.com", PW).await);
    for email in ["ada@example.com", "nobody@example.com"] {
        let (st, _) = s
            .call(
                Method::POST,
                &members,
                &bob,
                Some(json!({"email": email, "role": "viewer"})),
            )
            .await;
        assert_eq!(st, 403);
    }
}
