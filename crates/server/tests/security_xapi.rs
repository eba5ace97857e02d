//! Defects found by probing the xAPI as an attacker would (issue 15), each a regression test:
//! forged `more` tokens, unlimited failed authentications, `Authorization: BASIC`, plain-text
//! 413s and formula injection in CSV exports.
mod common;

use base64::Engine;
use cairn_core::StoreId;
use cairn_core::query::{Cursor, Page, StatementQuery};
use common::{Cred, ROOT_EMAIL, ROOT_PASSWORD, TestServer, statement};
use reqwest::Method;
use serde_json::{Value, json};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A forged token could ask for any page size (`limit` was only bounded on first pages) and
/// `limit + 1` could overflow: tokens are signed, and a changed one is a 400.
#[tokio::test]
async fn more_tokens_are_signed_and_tampering_is_refused() {
    let s = TestServer::start().await;
    let batch: Vec<Value> = (0..5)
        .map(|i| statement("http://example.com/verbs/paged", &format!("http://x/{i}")))
        .collect();
    assert_eq!(s.post(json!(batch)).await.status(), 200);
    let page = s.get_json("/xapi/statements?limit=2").await;
    assert_eq!(page["statements"].as_array().unwrap().len(), 2);
    let more = page["more"].as_str().unwrap().to_owned();
    let token = more.split("more=").nth(1).unwrap().to_owned();
    let next = s.get_json(&more).await;
    assert_eq!(next["statements"].as_array().unwrap().len(), 2);

    let refused = |path: String| {
        let req = s.req(Method::GET, &path);
        async move {
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap();
            (status, body)
        }
    };
    // Every single byte changed, in turn, is noticed.
    let mut bytes = B64.decode(&token).unwrap();
    for i in [0, 1, bytes.len() / 2, bytes.len() - 1] {
        bytes[i] ^= 0x40;
        let (st, body) = refused(format!("/xapi/statements?more={}", B64.encode(&bytes))).await;
        assert_eq!(st, 400, "byte {i}: {body}");
        assert_eq!(body["error"]["message"], "the more token is not valid");
        bytes[i] ^= 0x40;
    }
    // The old, unsigned form of a token: the cursor itself, asking for any page size.
    for limit in [1000, usize::MAX] {
        let c = Cursor {
            query: StatementQuery::new(StoreId::DEFAULT),
            page: Page {
                max_seq: u64::MAX,
                after: None,
                limit,
            },
            format: 0,
            attachments: false,
        };
        let forged = B64.encode(postcard::to_stdvec(&c).unwrap());
        let (st, body) = refused(format!("/xapi/statements?more={forged}")).await;
        assert_eq!(st, 400, "limit {limit}: {body}");
    }
    s.stop().await;
}

fn basic(key: &str, secret: &str, scheme: &str) -> String {
    let b = base64::engine::general_purpose::STANDARD.encode(format!("{key}:{secret}"));
    format!("{scheme} {b}")
}

/// 2,000 wrong secrets in 0.37 s all got 401: failures are limited per client key and per
/// source address, with 429 and Retry-After, and a barred key is refused even with the right
/// secret. `Authorization: BASIC` (any case) is accepted.
#[tokio::test]
async fn failed_authentications_are_rate_limited_per_key_and_address() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = common::test_config(dir.path());
    cfg.auth_failures_per_minute = 3;
    cfg.auth_failures_per_minute_address = 6;
    let s = TestServer::start_with(cfg, dir).await;
    let get = |auth: String| {
        let req = s
            .http
            .get(format!("{}/xapi/statements?limit=1", s.base))
            .header("X-Experience-API-Version", "1.0.3")
            .header("Authorization", auth);
        async move { req.send().await.unwrap() }
    };
    for scheme in ["Basic", "basic", "BASIC", "bAsIc"] {
        let res = get(basic(&s.key, &s.secret, scheme)).await;
        assert_eq!(res.status(), 200, "{scheme}");
    }
    for _ in 0..3 {
        assert_eq!(get(basic(&s.key, "wrong", "Basic")).await.status(), 401);
    }
    let res = get(basic(&s.key, "wrong", "Basic")).await;
    assert_eq!(res.status(), 429, "the 4th failure of the key");
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], 429);
    let res = get(basic(&s.key, &s.secret, "Basic")).await;
    assert_eq!(res.status(), 429, "barred, right secret or not");
    // The address: 4 failures so far; two more are answered, then every key is refused.
    assert_eq!(get(basic("nobody-1", "x", "Basic")).await.status(), 401);
    assert_eq!(get(basic("nobody-2", "x", "Basic")).await.status(), 401);
    assert_eq!(get(basic("nobody-3", "x", "Basic")).await.status(), 429);
    assert_eq!(get(basic("nobody-4", "x", "Basic")).await.status(), 429);
    // Unreadable credentials count against the address too.
    assert_eq!(get("Basic !!!".into()).await.status(), 429);
    s.stop().await;
}

/// Bodies over the limit got plain text from the xAPI and a 400 from the admin API.
#[tokio::test]
async fn oversized_bodies_get_a_json_413_on_every_api() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = common::test_config(dir.path());
    cfg.max_body_mib = 1;
    let s = TestServer::start_with_root_cfg(cfg, dir).await;
    let big = format!("[{}]", vec!["{}"; 600_000].join(","));
    let check = |res: reqwest::Response| async move {
        assert_eq!(res.status(), 413);
        assert_eq!(res.headers()["content-type"], "application/json");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], 413, "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("max_body_mib")
        );
    };
    let res = s
        .req(Method::POST, "/xapi/statements")
        .header("content-type", "application/json")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    check(res).await;
    let res = s
        .req(
            Method::PUT,
            &format!("/xapi/statements?statementId={}", common::uuid()),
        )
        .header("content-type", "application/json")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    check(res).await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let res = s
        .api(Method::POST, "/api/v1/organisations", &root)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    check(res).await;
    s.stop().await;
}

/// CSV exports wrote cells starting with `=`, `+`, `-`, `@`, tab or CR as they were (formula
/// injection): such text cells now start with `'`; plain numbers are left alone.
#[tokio::test]
async fn csv_exports_escape_formula_cells() {
    let s = TestServer::start_with_root().await;
    let root = Cred::Session(s.login(ROOT_EMAIL, ROOT_PASSWORD).await);
    let platforms = [
        "=HYPERLINK(\"http://evil\")",
        "+1+2",
        "-2+3",
        "@SUM(A1)",
        "\tlead",
        "\rlead",
        "-5",
        "+1.5e3",
        "plain",
    ];
    let batch: Vec<Value> = platforms
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut st = statement("http://example.com/verbs/csv", &format!("http://x/{i}"));
            st["context"] = json!({"platform": p});
            st["result"] = json!({"extensions": {"http://example.com/ext/note": p}});
            st
        })
        .collect();
    assert_eq!(s.post(json!(batch)).await.status(), 200);
    let store = "00000000-0000-0000-0000-000000000001";
    s.wait_projected(&format!("store = toUUID('{store}')"), 9)
        .await;
    let csv = s
        .api(
            Method::POST,
            &format!("/api/v1/stores/{store}/statements/export?format=csv"),
            &root,
        )
        .json(&json!({"fields": ["seq", "context.platform", "result.extensions.http://example.com/ext/note"]}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut rd = csv::ReaderBuilder::new().from_reader(csv.as_bytes());
    let rows: Vec<(String, String)> = rd
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[1].to_owned(), r[2].to_owned())
        })
        .collect();
    let want = [
        "'=HYPERLINK(\"http://evil\")",
        "'+1+2",
        "'-2+3",
        "'@SUM(A1)",
        "'\tlead",
        "'\rlead",
        "-5",
        "+1.5e3",
        "plain",
    ];
    assert_eq!(rows.len(), want.len(), "{csv}");
    for ((platform, note), w) in rows.iter().zip(want) {
        assert_eq!(platform, w, "{csv}");
        assert_eq!(note, w, "{csv}");
    }
    s.stop().await;
}
