//! Forwarders survive a restart (paused stays paused, secrets kept), their materialized rows
//! equal a replay of the log; names are unique per store and secrets left out are kept.
mod common;

use common::{Cred, ROOT_EMAIL, ROOT_PASSWORD, TestServer, test_config};
use reqwest::Method;
use serde_json::json;

const STORE: &str = "00000000-0000-0000-0000-000000000001";

#[tokio::test]
async fn forwarders_equal_a_replay_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = test_config(dir.path());
    cfg.forward_allow_private_targets = true;
    let s = TestServer::start_with_root_cfg(cfg, dir).await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let list = format!("/api/v1/stores/{STORE}/forwarders");
    // Targets nobody listens on (port 9, discard): nothing is ever delivered, nothing leaves.
    let hook =
        json!({"type": "webhook", "url": "http://127.0.0.1:9/hook", "secret": "0123456789abcdef"});
    let a = s
        .ok(
            Method::POST,
            &list,
            &root,
            Some(json!({"name": "A", "target": hook, "enabled": false})),
            201,
        )
        .await;
    let b = s
        .ok(
            Method::POST,
            &list,
            &root,
            Some(json!({"name": "B", "target": hook})),
            201,
        )
        .await;
    let dup = s
        .call(
            Method::POST,
            &list,
            &root,
            Some(json!({"name": "a", "target": hook})),
        )
        .await;
    assert_eq!(dup.0, 409, "{}", dup.1);
    let a_path = format!("{list}/{}", a["id"].as_str().unwrap());
    // A change of URL without the secret keeps the stored secret.
    let moved = json!({"type": "webhook", "url": "http://127.0.0.1:9/moved"});
    s.ok(
        Method::PATCH,
        &a_path,
        &root,
        Some(json!({"target": moved, "batch_size": 7})),
        200,
    )
    .await;
    s.ok(
        Method::DELETE,
        &format!("{list}/{}", b["id"].as_str().unwrap()),
        &root,
        None,
        204,
    )
    .await;
    let before = s.ok(Method::GET, &a_path, &root, None, 200).await;
    assert_eq!(before["batch_size"], 7);
    assert_eq!(before["enabled"], false);
    assert_eq!(before["target"]["url"], "http://127.0.0.1:9/moved");

    let s = s.restart().await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let after = s.ok(Method::GET, &a_path, &root, None, 200).await;
    assert_eq!(after["target"], before["target"]);
    assert_eq!(after["enabled"], false);
    assert_eq!(after["status"]["cursor"], before["status"]["cursor"]);
    let (cfg, _dir) = s.stop().await;
    let store = cairn_server::app::open_store(&cfg).unwrap();
    let log: &dyn cairn_core::ports::LogStore = &*store;
    let loaded = cairn_core::forwarding::Forwarders::load(log, Default::default()).unwrap();
    let replayed = cairn_core::forwarding::Forwarders::replay(log).unwrap();
    assert_eq!(*loaded.read(), replayed);
    assert_eq!(replayed.by_id.len(), 1);
    let f = replayed.by_id.values().next().unwrap();
    match &f.target {
        cairn_core::forwarding::Target::Webhook { secret, url, .. } => {
            assert_eq!(secret, "0123456789abcdef", "the secret was kept");
            assert_eq!(url, "http://127.0.0.1:9/moved");
        }
        other => panic!("{other:?}"),
    }
}
