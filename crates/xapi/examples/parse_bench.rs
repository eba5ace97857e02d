//! Rough single-core throughput of parse + validate + serialize + index keys:
//! `cargo run --release -p cairn-xapi --example parse_bench`.

use cairn_xapi::{XapiVersion, index_keys, parse_statements};
use std::time::Instant;

const STATEMENT: &str = r#"{"actor":{"objectType":"Agent","name":"Learner","mbox":"mailto:learner@example.com"},
"verb":{"id":"http://adlnet.gov/expapi/verbs/completed","display":{"en-US":"completed"}},
"object":{"objectType":"Activity","id":"https://example.com/course/1/module/2","definition":{"name":{"en-US":"Module 2"},"type":"http://adlnet.gov/expapi/activities/module"}},
"result":{"score":{"scaled":0.85,"raw":85,"min":0,"max":100},"success":true,"completion":true,"duration":"PT12M30S"},
"context":{"registration":"ec531277-b57b-4c15-8d91-d292c5b2b8f7","contextActivities":{"parent":[{"id":"https://example.com/course/1"}],"category":[{"id":"https://w3id.org/xapi/cmi5/context/categories/cmi5"}]},
"extensions":{"https://w3id.org/xapi/cmi5/context/extensions/sessionid":"abc-123"}},"timestamp":"2024-05-04T12:00:00.000Z"}"#;

fn main() {
    let body = format!("[{}]", [STATEMENT; 10].join(","));
    let n = 20_000;
    let start = Instant::now();
    let mut total = 0usize;
    for _ in 0..n {
        let list = parse_statements(body.as_bytes(), XapiVersion::V2_0_0).expect("valid");
        for s in &list {
            total += s.to_json().len() + index_keys(s).related_activities.len();
        }
    }
    let secs = start.elapsed().as_secs_f64();
    if std::env::var_os("BREAKDOWN").is_some() {
        breakdown(&body, n);
    }
    println!(
        "{:.0} statements/s on one core ({total} bytes out)",
        (n * 10) as f64 / secs
    );
}

#[allow(dead_code)]
fn breakdown(body: &str, n: usize) {
    let start = Instant::now();
    for _ in 0..n {
        let v: Vec<cairn_xapi::Statement> = serde_json::from_str(body).expect("valid");
        std::hint::black_box(v);
    }
    println!(
        "typed parse only: {:.0} statements/s",
        (n * 10) as f64 / start.elapsed().as_secs_f64()
    );
    let list = parse_statements(body.as_bytes(), XapiVersion::V2_0_0).expect("valid");
    let start = Instant::now();
    for _ in 0..n {
        for s in &list {
            std::hint::black_box(s.to_json());
        }
    }
    println!(
        "to_json only: {:.0} statements/s",
        (n * 10) as f64 / start.elapsed().as_secs_f64()
    );
    let start = Instant::now();
    for _ in 0..n {
        for s in &list {
            std::hint::black_box(index_keys(s));
        }
    }
    println!(
        "index_keys only: {:.0} statements/s",
        (n * 10) as f64 / start.elapsed().as_secs_f64()
    );
}
