//! The `define` scope: only clients that hold it (or `all`) change the canonical Activity
//! objects that `GET /xapi/activities` returns.
mod common;
use common::{Cred, ROOT_EMAIL, ROOT_PASSWORD, TestServer};
use reqwest::Method;
use serde_json::json;

fn defined(activity: &str, name: &str) -> serde_json::Value {
    json!({
        "actor": {"mbox": "mailto:definer@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"id": activity, "definition": {"name": {"en-US": name}}},
    })
}

#[tokio::test]
async fn only_define_scoped_clients_update_activity_definitions() {
    let s = TestServer::start_with_root().await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let store = s.ok(Method::GET, "/api/v1/stores", &root, None, 200).await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut creds = Vec::new();
    for scopes in [
        json!(["statements/write", "statements/read"]),
        json!(["statements/write", "define"]),
    ] {
        let c = s
            .ok(
                Method::POST,
                "/api/v1/clients",
                &root,
                Some(json!({"store": store, "name": "c", "scopes": scopes})),
                201,
            )
            .await;
        creds.push((
            c["client"]["key"].as_str().unwrap().to_owned(),
            c["secret"].as_str().unwrap().to_owned(),
        ));
    }
    let activity = "http://example.com/act/defined";
    let path = format!(
        "/xapi/activities?activityId={}",
        form_urlencoded::byte_serialize(activity.as_bytes()).collect::<String>()
    );
    let get = |key: String, secret: String| {
        let req = s.xapi(Method::GET, &path, &key, &secret);
        async move {
            req.send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    let (plain_key, plain_secret) = creds[0].clone();
    let res = s
        .xapi(Method::POST, "/xapi/statements", &plain_key, &plain_secret)
        .json(&defined(activity, "Without define"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let a = get(plain_key.clone(), plain_secret.clone()).await;
    assert_eq!(a["id"], activity);
    assert!(
        a.get("definition").is_none(),
        "a client without define changed the definition: {a}"
    );
    let (def_key, def_secret) = creds[1].clone();
    let res = s
        .xapi(Method::POST, "/xapi/statements", &def_key, &def_secret)
        .json(&defined(activity, "With define"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let a = get(plain_key, plain_secret).await;
    assert_eq!(a["definition"]["name"]["en-US"], "With define");
    s.stop().await;
}
