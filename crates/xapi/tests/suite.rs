//! Replays every templated statement test of the ADL LRS conformance suite
//! (extracted by `tests/tools/extract_suite.js`) against `parse_statements`:
//! `expect: [200]` must parse, `expect: [400]` must be rejected.

use cairn_xapi::{XapiVersion, parse_statements};
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    file: String,
    group: String,
    name: String,
    expect: Vec<u16>,
    body: serde_json::Value,
}

fn run(fixture: &str, version: XapiVersion) {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/{fixture}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let cases: Vec<Case> = serde_json::from_str(&text).unwrap();
    assert!(cases.len() > 900, "fixture {fixture} looks truncated");
    let mut failures = Vec::new();
    for c in &cases {
        let body = serde_json::to_vec(&c.body).unwrap();
        let got = parse_statements(&body, version);
        let want_ok = c.expect.first() == Some(&200);
        if std::env::var_os("SUITE_VERBOSE").is_some()
            && let Err(e) = &got
        {
            eprintln!("REJECT [{}] {}: {e}", c.file, c.name);
        }
        match (&got, want_ok) {
            (Ok(_), true) | (Err(_), false) => {}
            (Ok(_), false) => failures.push(format!(
                "[{}] {} / {}: accepted, expected 400\n    {}",
                c.file, c.group, c.name, c.body
            )),
            (Err(e), true) => failures.push(format!(
                "[{}] {} / {}: rejected: {e}\n    {}",
                c.file, c.group, c.name, c.body
            )),
        }
    }
    for f in &failures {
        eprintln!("{f}");
    }
    assert!(
        failures.is_empty(),
        "{} of {} {fixture} cases failed",
        failures.len(),
        cases.len()
    );
}

#[test]
fn adl_suite_v1_0_3_statement_templates() {
    run("suite_v1_0_3.json", XapiVersion::V1_0_3);
}

#[test]
fn adl_suite_v2_0_statement_templates() {
    run("suite_v2_0.json", XapiVersion::V2_0_0);
}
