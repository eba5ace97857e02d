//! Streamed CSV import of personas over HTTP: progress after each batch, a report listing bad
//! rows by line and reason, the other rows applied, and a CSV without a `name` column refused.
mod common;

use common::{Cred, ROOT_EMAIL, ROOT_PASSWORD, TestServer};
use reqwest::Method;
use serde_json::{Value, json};

const STORE: &str = "00000000-0000-0000-0000-000000000001";

fn mbox(who: &str) -> String {
    format!("mailto:{who}@example.com")
}

#[tokio::test]
async fn csv_import_streams_progress_and_lists_bad_rows() {
    let s = {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = common::test_config(dir.path());
        cfg.persona_import_batch_rows = 3;
        TestServer::start_with_root_cfg(cfg, dir).await
    };
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let path = format!("/api/v1/stores/{STORE}/personas");
    // A persona someone already made, holding x9.
    s.ok(
        Method::POST,
        &path,
        &root,
        Some(json!({"name": "Existing", "identifiers": [{"mbox": mbox("x9")}]})),
        201,
    )
    .await;
    let csv = "name,mbox,account_homepage,account_name,team\n\
               Ann,mailto:ann@example.com,,,red\n\
               Ann,,http://lms.example.com,ann01,\n\
               Bob,not-an-email,,,blue\n\
               ,mailto:nobody@example.com,,,\n\
               Cy,mailto:x9@example.com,,,\n\
               Existing,mailto:x10@example.com,,,green\n\
               Dee,,http://lms.example.com,,\n\
               Eve,mailto:eve@example.com,,,\n";
    let res = s
        .api(Method::POST, &format!("{path}/import"), &root)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // 8 rows in batches of 3: progress after rows 3, 6 and 8, then the report.
    let progress: Vec<u64> = lines
        .iter()
        .filter_map(|l| l["progress"]["rows"].as_u64())
        .collect();
    assert_eq!(progress, vec![3, 6, 8], "{text}");
    let done = &lines.last().unwrap()["done"];
    assert_eq!(done["rows"], 8, "{text}");
    assert_eq!(done["created"], 2, "Ann and Eve: {text}");
    assert_eq!(done["updated"], 2, "Ann's account, Existing's x10: {text}");
    assert_eq!(done["failed"], 4, "{text}");
    let bad: Vec<u64> = done["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(bad, vec![4, 5, 6, 8], "{text}");
    let messages = done["errors"].to_string();
    assert!(messages.contains("already belongs"), "{messages}");
    assert!(messages.contains("name is empty"), "{messages}");

    let list = s
        .ok(Method::GET, &format!("{path}?name=ann"), &root, None, 200)
        .await;
    let ann = &list["items"][0];
    assert_eq!(ann["identifiers"].as_array().unwrap().len(), 2, "{list}");
    assert_eq!(ann["attributes"]["team"], "red");
    let existing = s
        .ok(
            Method::GET,
            &format!("{path}?name=existing"),
            &root,
            None,
            200,
        )
        .await;
    assert_eq!(
        existing["items"][0]["identifiers"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(existing["items"][0]["attributes"]["team"], "green");

    // A CSV without a name column is refused before anything is applied.
    let (st, v) = {
        let res = s
            .api(Method::POST, &format!("{path}/import"), &root)
            .header("content-type", "text/csv")
            .body("mbox\nmailto:z@example.com\n")
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    };
    assert_eq!(st, 400, "{v}");
    assert!(v.contains("name"), "{v}");
}
