//! Dashboards, widgets and share links survive a restart and `cairn reproject`, and their
//! materialized rows equal a replay of the log.
mod common;

use common::{Cred, ROOT_EMAIL, ROOT_PASSWORD, TestServer};
use reqwest::Method;
use serde_json::json;

const STORE: &str = "00000000-0000-0000-0000-000000000001";

#[tokio::test]
async fn dashboards_equal_a_replay_and_survive_restart_and_reproject() {
    let s = TestServer::start_with_root().await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let list = format!("/api/v1/stores/{STORE}/dashboards");
    let a = s
        .ok(
            Method::POST,
            &format!("{list}/from-template"),
            &root,
            Some(json!({"template": "activity-over-time"})),
            201,
        )
        .await;
    let b = s
        .ok(
            Method::POST,
            &format!("/api/v1/dashboards/{}/duplicate", a["id"].as_str().unwrap()),
            &root,
            Some(json!({"name": "B"})),
            201,
        )
        .await;
    let link = s
        .ok(
            Method::POST,
            &format!("/api/v1/dashboards/{}/links", b["id"].as_str().unwrap()),
            &root,
            Some(json!({"visibility": "anyone", "url_filter": "signed"})),
            201,
        )
        .await;
    assert_eq!(link["secret"].as_str().unwrap().len(), 64);
    let w0 = a["widgets"][0]["id"].as_str().unwrap();
    s.ok(
        Method::DELETE,
        &format!(
            "/api/v1/dashboards/{}/widgets/{w0}",
            a["id"].as_str().unwrap()
        ),
        &root,
        None,
        204,
    )
    .await;
    let before_a = s
        .ok(
            Method::GET,
            &format!("/api/v1/dashboards/{}", a["id"].as_str().unwrap()),
            &root,
            None,
            200,
        )
        .await;
    let before_links = s
        .ok(
            Method::GET,
            &format!("/api/v1/dashboards/{}/links", b["id"].as_str().unwrap()),
            &root,
            None,
            200,
        )
        .await;
    assert!(
        before_links.to_string().find("secret").is_none(),
        "the secret is shown once"
    );

    let s = s.restart().await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let after_a = s
        .ok(
            Method::GET,
            &format!("/api/v1/dashboards/{}", a["id"].as_str().unwrap()),
            &root,
            None,
            200,
        )
        .await;
    assert_eq!(after_a, before_a);
    let (cfg, dir) = s.stop().await;
    // The materialized rows are exactly what replaying the log gives.
    {
        let store = cairn_server::app::open_store(&cfg).unwrap();
        let log: &dyn cairn_core::ports::LogStore = &*store;
        let loaded = cairn_core::dashboards::Dashboards::load(log, Default::default()).unwrap();
        let replayed = cairn_core::dashboards::Dashboards::replay(log).unwrap();
        assert_eq!(*loaded.read(), replayed);
        assert_eq!(replayed.of_store(cairn_core::StoreId::DEFAULT).count(), 2);
    }
    cairn_server::app::reproject(&cfg).await.unwrap();
    let s = TestServer::start_with(cfg, dir).await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let again = s
        .ok(
            Method::GET,
            &format!("/api/v1/dashboards/{}", a["id"].as_str().unwrap()),
            &root,
            None,
            200,
        )
        .await;
    assert_eq!(again, before_a);
    let links = s
        .ok(
            Method::GET,
            &format!("/api/v1/dashboards/{}/links", b["id"].as_str().unwrap()),
            &root,
            None,
            200,
        )
        .await;
    assert_eq!(links, before_links);
    s.stop().await;
}
