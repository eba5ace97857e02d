//! Share links on a running node: the public API reads only through a link's rights (its
//! dashboard, its store, the dashboard filter AND the link's URL filter); bad tokens and
//! revoked, expired or unshared links answer clear JSON errors and never data.
mod common;
#[path = "common/dashboards.rs"]
mod dash;

use common::{Cred, ROOT_EMAIL, ROOT_PASSWORD, TestServer, statement};
use dash::*;
use reqwest::Method;
use serde_json::{Value, json};

fn sign(secret: &str, filter: Value, exp: u64) -> String {
    cairn_core::dashboards::shared::sign(
        secret.as_bytes(),
        &cairn_core::dashboards::shared::Claims { filter, exp },
    )
}

#[tokio::test]
async fn a_link_reads_only_through_its_rights() {
    let s = TestServer::start_with_root().await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    // Store A (default) has a0 ×3 and a1 ×2; store B has 5 more statements.
    let mut batch: Vec<Value> = (0..3).map(|_| statement("http://v/x", A0)).collect();
    batch.extend((0..2).map(|_| statement("http://v/x", A1)));
    assert_eq!(s.post(json!(batch)).await.status(), 200);
    let org = s
        .ok(
            Method::GET,
            &format!("/api/v1/stores/{STORE}"),
            &root,
            None,
            200,
        )
        .await["organisation"]
        .clone();
    let b = s
        .ok(
            Method::POST,
            "/api/v1/stores",
            &root,
            Some(json!({"organisation": org, "name": "B"})),
            201,
        )
        .await;
    let store_b = b["id"].as_str().unwrap().to_owned();
    let c = s
        .ok(
            Method::POST,
            "/api/v1/clients",
            &root,
            Some(json!({"store": store_b, "name": "b", "scopes": ["all"]})),
            201,
        )
        .await;
    let (key, secret) = (
        c["client"]["key"].as_str().unwrap(),
        c["secret"].as_str().unwrap(),
    );
    let batch_b: Vec<Value> = (0..5).map(|_| statement("http://v/x", A0)).collect();
    let res = s
        .xapi(Method::POST, "/xapi/statements", key, secret)
        .json(&batch_b)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    s.wait_projected("1", 10).await;

    let (d, count, rows) = board(
        &s,
        &root,
        STORE,
        Some(json!({"field": "object.id", "in": [A0, A1]})),
    )
    .await;
    let (other_d, other_count, _) = board(&s, &root, STORE, None).await;
    let (_, b_count, _) = board(&s, &root, &store_b, None).await;
    let off = link(
        &s,
        &root,
        &d,
        json!({"visibility": "anyone", "url_filter": "off"}),
    )
    .await;
    let off_id = off["link"]["id"].as_str().unwrap().to_owned();
    assert!(
        off["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/s/{off_id}"))
    );
    assert!(
        off["embed_snippet"]
            .as_str()
            .unwrap()
            .contains(&format!("/embed/{off_id}"))
    );
    assert!(off["secret"].is_null());

    // The dashboard as shared: its widgets, no store.
    let v = s
        .ok(
            Method::GET,
            &format!("/api/v1/shared/{off_id}"),
            &Cred::None,
            None,
            200,
        )
        .await;
    assert_eq!(v["widgets"].as_array().unwrap().len(), 2);
    assert!(!v.to_string().contains(STORE), "{v}");
    let (st, v) = data(&s, &off_id, &count, json!({})).await;
    assert_eq!((st, total(&v)), (200, 5.0), "{v}");
    // Another dashboard's widget, another store's widget: not through this link.
    assert_eq!(data(&s, &off_id, &other_count, json!({})).await.0, 404);
    assert_eq!(data(&s, &off_id, &b_count, json!({})).await.0, 404);
    // An `off` link takes no filter.
    let (st, e) = data(
        &s,
        &off_id,
        &count,
        json!({"filter": {"field": "object.id", "eq": A1}}),
    )
    .await;
    assert_eq!(st, 400, "{e}");
    let (st, _) = s
        .call(
            Method::GET,
            &format!("/api/v1/shared/{off_id}?filter=%7B%7D"),
            &Cred::None,
            None,
        )
        .await;
    assert_eq!(st, 400);

    // Plain: the URL filter narrows (AND), it never widens past the dashboard filter.
    let plain = link(
        &s,
        &root,
        &d,
        json!({"visibility": "anyone", "url_filter": "plain"}),
    )
    .await["link"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, v) = data(
        &s,
        &plain,
        &count,
        json!({"filter": {"field": "object.id", "eq": A1}}),
    )
    .await;
    assert_eq!(total(&v), 2.0);
    let (_, v) = data(&s, &plain, &count, json!({"filter": {"or": [{"field": "object.id", "eq": "http://else"}, {"exists": true, "field": "verb"}]}})).await;
    assert_eq!(total(&v), 5.0, "the dashboard filter still applies");
    let (_, v) = data(
        &s,
        &plain,
        &rows,
        json!({"filter": {"field": "object.id", "eq": A1}}),
    )
    .await;
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|i| i["object.id"] == A1), "{v}");

    // Signed: the token's filter applies; a bad, expired, tampered or missing token gets 401.
    let signed = link(
        &s,
        &root,
        &d,
        json!({"visibility": "anyone", "url_filter": "signed"}),
    )
    .await;
    let sid = signed["link"]["id"].as_str().unwrap().to_owned();
    let key = signed["secret"].as_str().unwrap().to_owned();
    let exp = (cairn_core::time_fmt::now_us() / 1_000_000) as u64 + 600;
    let token = sign(&key, json!({"field": "object.id", "eq": A0}), exp);
    let (st, v) = data(&s, &sid, &count, json!({"token": token})).await;
    assert_eq!((st, total(&v)), (200, 3.0), "{v}");
    let bad = [
        sign(
            "not the secret",
            json!({"field": "object.id", "eq": A0}),
            exp,
        ),
        sign(&key, json!({"field": "object.id", "eq": A0}), 1_000),
        format!("{}x", &token[..token.len() - 1]),
    ];
    for t in bad {
        let (st, v) = data(&s, &sid, &count, json!({"token": t})).await;
        assert_eq!(st, 401, "{v}");
        assert!(v.get("rows").is_none() && v["error"]["message"].is_string());
    }
    assert_eq!(data(&s, &sid, &count, json!({})).await.0, 401);
    assert_eq!(
        data(
            &s,
            &sid,
            &count,
            json!({"filter": {"field": "verb", "eq": "x"}})
        )
        .await
        .0,
        400
    );
    let (st, _) = s
        .call(
            Method::GET,
            &format!("/api/v1/shared/{sid}?token={token}"),
            &Cred::None,
            None,
        )
        .await;
    assert_eq!(st, 200);

    // Revoked, expired and unshared links answer 403; unknown ones 404; never data.
    s.ok(
        Method::DELETE,
        &format!("/api/v1/dashboards/{d}/links/{off_id}"),
        &root,
        None,
        204,
    )
    .await;
    let (st, v) = data(&s, &off_id, &count, json!({})).await;
    assert_eq!(st, 403);
    assert!(v["error"]["message"].as_str().unwrap().contains("revoked"));
    let expired = link(
        &s,
        &root,
        &d,
        json!({"visibility": "anyone", "url_filter": "off", "expires_at": "2020-01-01T00:00:00Z"}),
    )
    .await["link"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (st, v) = data(&s, &expired, &count, json!({})).await;
    assert_eq!(st, 403);
    assert!(v["error"]["message"].as_str().unwrap().contains("expired"));
    let nobody = link(
        &s,
        &root,
        &d,
        json!({"visibility": "nobody", "url_filter": "off"}),
    )
    .await["link"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(data(&s, &nobody, &count, json!({})).await.0, 403);
    assert_eq!(data(&s, &common::uuid(), &count, json!({})).await.0, 404);
    // Domains are validated.
    let (st, e) = s.call(Method::POST, &format!("/api/v1/dashboards/{d}/links"), &root,
        Some(json!({"visibility": "domains", "domains": ["lms.example.com"], "url_filter": "off"}))).await;
    assert_eq!(st, 400);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("/domains/0"),
        "{e}"
    );
    // Deleting the dashboard ends its links.
    s.ok(
        Method::DELETE,
        &format!("/api/v1/dashboards/{d}"),
        &root,
        None,
        204,
    )
    .await;
    assert_eq!(data(&s, &plain, &count, json!({})).await.0, 404);
    let _ = other_d;
    s.stop().await;
}
