//! Shared test helpers.
#![allow(dead_code)]

use cairn_xapi::{ValidationError, XapiVersion, parse_statements};
use serde_json::{Value, json};

/// A minimal valid statement.
pub fn base() -> Value {
    json!({
        "actor": {"objectType": "Agent", "name": "xAPI mbox", "mbox": "mailto:xapi@adlnet.gov"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"en-GB": "attended", "en-US": "attended"}},
        "object": {"objectType": "Activity", "id": "http://www.example.com/meetings/occurances/34534"}
    })
}

/// `base()` with `f` applied.
pub fn with(f: impl FnOnce(&mut Value)) -> Value {
    let mut v = base();
    f(&mut v);
    v
}

pub fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

pub const V1: XapiVersion = XapiVersion::V1_0_3;
pub const V2: XapiVersion = XapiVersion::V2_0_0;

pub fn ok(v: &Value, version: XapiVersion) {
    if let Err(e) = parse_statements(&bytes(v), version) {
        panic!("expected accept under {version:?}, got {e}\n{v}");
    }
}

pub fn bad(v: &Value, version: XapiVersion) -> ValidationError {
    match parse_statements(&bytes(v), version) {
        Ok(_) => panic!("expected reject under {version:?}\n{v}"),
        Err(e) => e,
    }
}

pub fn both_ok(v: &Value) {
    ok(v, V1);
    ok(v, V2);
}

pub fn both_bad(v: &Value) -> ValidationError {
    bad(v, V1);
    bad(v, V2)
}
