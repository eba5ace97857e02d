//! The stored body is the client's statement with the LRS's fields spliced in: compact JSON,
//! the same statement as the typed one the LRS decided on (what the xAPI serves, key order
//! and number spelling aside), whatever whitespace, escapes or case the client used.
use super::{WriteContext, prepare};
use crate::ids::StoreId;
use cairn_xapi::{
    Actor, XapiVersion, equivalent, parse_statements_with_text, parse_stored_statement,
};
use serde_json::{Value, json};

fn ctx(version: XapiVersion) -> WriteContext {
    WriteContext {
        store: StoreId::DEFAULT,
        authority: serde_json::from_value(json!({"objectType": "Group", "member": [
            {"account": {"homePage": "http://example.com/clients", "name": "c1"}},
            {"mbox": "mailto:user@example.com"}]}))
        .unwrap(),
        version,
        define: false,
        reads_all: true,
    }
}

/// No whitespace outside strings.
fn is_compact(body: &[u8]) -> bool {
    let (mut in_string, mut escaped) = (false, false);
    for &b in body {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if b == b'"' {
            in_string = true;
        } else if b.is_ascii_whitespace() {
            return false;
        }
    }
    true
}

/// The statement as the typed model writes it, as a JSON tree (key order, number spelling and
/// UUID case normalised).
fn normalised(json: &[u8]) -> Value {
    serde_json::from_slice(&parse_stored_statement(json).unwrap().to_json()).unwrap()
}

/// Stores `body` as the LRS would and checks every stored body against the typed statement
/// the old path serialized. Returns how many statements were checked.
fn check(body: &[u8], version: XapiVersion) -> usize {
    let Ok(parsed) = parse_statements_with_text(body, version) else {
        return 0;
    };
    let originals: Vec<_> = parsed.iter().map(|(st, _)| st.clone()).collect();
    let ctx = ctx(version);
    let Ok(request) = prepare(&ctx, parsed, vec![], None) else {
        return 0;
    };
    for (mut want, got) in originals.into_iter().zip(&request.statements) {
        let text = String::from_utf8_lossy(&got.body);
        assert!(is_compact(&got.body), "not compact: {text}");
        let stored = parse_stored_statement(&got.body).expect("the stored body parses");
        want.set_id(got.id);
        want.set_authority(ctx.authority.clone());
        want.set_version_if_missing(match version {
            XapiVersion::V1_0_3 => "1.0.0",
            XapiVersion::V2_0_0 => "2.0.0",
        });
        want.clear_stored();
        if let Some(ts) = &stored.timestamp {
            want.set_timestamp_if_missing(ts);
        }
        assert_eq!(normalised(&got.body), normalised(&want.to_json()), "{text}");
        assert!(equivalent(&stored, &want), "{text}");
        assert_eq!(stored.stored, None, "{text}");
        assert_eq!(stored.authority.as_ref(), Some(&ctx.authority), "{text}");
    }
    request.statements.len()
}

fn suite(file: &str) -> Vec<Value> {
    let path = format!(
        "{}/../xapi/tests/fixtures/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    cases.into_iter().map(|c| c["body"].clone()).collect()
}

#[test]
fn the_suites_statements_are_stored_as_sent_compact_and_with_the_lrs_fields() {
    let mut checked = 0;
    for (file, version) in [
        ("suite_v2_0.json", XapiVersion::V2_0_0),
        ("suite_v1_0_3.json", XapiVersion::V1_0_3),
    ] {
        for body in suite(file) {
            checked += check(&serde_json::to_vec(&body).unwrap(), version);
            checked += check(&serde_json::to_vec_pretty(&body).unwrap(), version);
        }
    }
    assert!(checked > 1000, "only {checked} statements checked");
}

#[test]
fn the_clients_id_stored_and_authority_give_way_to_the_lrs() {
    let body = "\u{feff} [ {\"\\u0069d\" : \"6690E6C9-3EF0-4ED3-8B37-7F3964730BEE\",\n\
                \"actor\": {\"mbox\": \"mailto:a@example.com\"},\
                \"verb\": {\"id\": \"http://adlnet.gov/expapi/verbs/attempted\"},\
                \"object\": {\"id\": \"http://example.com/a\"},\
                \"stored\": \"2020-01-01T00:00:00Z\",\
                \"authority\": {\"mbox\": \"mailto:liar@example.com\"},\
                \"result\": {\"extensions\": {\"http://x/e\": {\"k\" : \"v \\u00e9\", \"k\": 2}},\
                             \"score\": {\"raw\": 1E2}}} ]";
    assert_eq!(check(body.as_bytes(), XapiVersion::V2_0_0), 1);
    let parsed = parse_statements_with_text(body.as_bytes(), XapiVersion::V2_0_0).unwrap();
    let request = prepare(&ctx(XapiVersion::V2_0_0), parsed, vec![], None).unwrap();
    let stored: Value = serde_json::from_slice(&request.statements[0].body).unwrap();
    assert_eq!(stored["id"], "6690e6c9-3ef0-4ed3-8b37-7f3964730bee");
    assert_eq!(stored.get("stored"), None);
    let authority: Actor = serde_json::from_value(stored["authority"].clone()).unwrap();
    assert_eq!(authority, ctx(XapiVersion::V2_0_0).authority);
    assert_eq!(stored["version"], "2.0.0");
    assert!(stored["timestamp"].is_string());
    // Extension values are kept as sent, escapes and repeated names included.
    let text = String::from_utf8(request.statements[0].body.clone()).unwrap();
    assert!(
        text.contains(r#"{"http://x/e":{"k":"v \u00e9","k":2}}"#),
        "{text}"
    );
    assert!(text.contains(r#""raw":1E2"#), "{text}");
}

#[test]
fn repeated_member_names_are_refused_where_the_xapi_defines_the_object() {
    let base = r#""verb": {"id": "http://v/x"}, "object": {"id": "http://example.com/a"}"#;
    for body in [
        format!(
            r#"{{"actor": {{"mbox": "mailto:a@example.com"}}, "actor": {{"mbox": "mailto:b@example.com"}}, {base}}}"#
        ),
        format!(
            r#"{{"actor": {{"mbox": "mailto:a@example.com", "mbox": "mailto:b@example.com"}}, {base}}}"#
        ),
        format!(
            r#"{{"actor": {{"mbox": "mailto:a@example.com", "name": "a", "name": "b"}}, {base}}}"#
        ),
        format!(
            r#"{{"actor": {{"mbox": "mailto:a@example.com"}}, {base}, "result": {{"success": true, "success": false}}}}"#
        ),
    ] {
        let err =
            parse_statements_with_text(body.as_bytes(), XapiVersion::V2_0_0).expect_err(&body);
        assert!(err.to_string().contains("duplicate"), "{err}");
    }
}
