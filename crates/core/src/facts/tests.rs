//! The facts carried from the request and the facts parsed from the stored body are equal, for
//! every statement the conformance suite's fixtures accept and for random variations of them.
use super::*;
use crate::ids::StoreId;
use crate::statements::{WriteContext, prepare};
use cairn_xapi::{XapiVersion, parse_statements};
use proptest::prelude::*;
use serde_json::{Value, json};

fn suite(file: &str) -> Vec<Value> {
    let path = format!(
        "{}/../xapi/tests/fixtures/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    cases.into_iter().map(|c| c["body"].clone()).collect()
}

fn context(version: XapiVersion, authority: Actor) -> WriteContext {
    WriteContext {
        store: StoreId::DEFAULT,
        authority,
        version,
        define: true,
        reads_all: true,
    }
}

fn authorities() -> Vec<Actor> {
    vec![
        serde_json::from_value(json!({"mbox": "mailto:lrs@example.com"})).unwrap(),
        // An OAuth-style authority: a group of two, identified by its members only.
        serde_json::from_value(json!({"objectType": "Group", "member": [
            {"account": {"homePage": "http://example.com/clients", "name": "c1"}},
            {"mbox": "mailto:user@example.com", "name": "U"}]}))
        .unwrap(),
    ]
}

/// Every statement of `body` that the LRS would store: facts from the typed statement equal
/// facts from the stored bytes. Returns how many statements were compared.
fn compare(body: &[u8], version: XapiVersion, authority: &Actor) -> usize {
    let statements = match parse_statements(body, version) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("refused: {e}");
            return 0;
        }
    };
    // Attachments without a part are refused before anything is stored; so are they here.
    let Ok(request) = prepare(
        &context(version, authority.clone()),
        statements,
        Some(body),
        vec![],
        None,
    ) else {
        return 0;
    };
    for st in &request.statements {
        assert!(
            compact(&st.body),
            "stored with whitespace: {}",
            String::from_utf8_lossy(&st.body)
        );
        let carried = st.facts.as_deref().expect("prepare carries the facts");
        let parsed = StatementFacts::from_body(&st.body);
        assert_eq!(
            carried,
            &parsed,
            "facts differ for {}",
            String::from_utf8_lossy(&st.body)
        );
    }
    request.statements.len()
}

/// No whitespace outside strings: stored bodies are one compact line (exports write a
/// statement a line).
fn compact(json: &[u8]) -> bool {
    let (mut in_str, mut escaped) = (false, false);
    for &b in json {
        match b {
            _ if in_str && escaped => escaped = false,
            b'\\' if in_str => escaped = true,
            b'"' => in_str = !in_str,
            b' ' | b'\t' | b'\n' | b'\r' if !in_str => return false,
            _ => {}
        }
    }
    true
}

#[test]
fn carried_facts_equal_stored_facts_on_the_suite() {
    let mut compared = 0;
    for (file, version) in [
        ("suite_v2_0.json", XapiVersion::V2_0_0),
        ("suite_v1_0_3.json", XapiVersion::V1_0_3),
    ] {
        for body in suite(file) {
            for bytes in [
                serde_json::to_vec(&body).unwrap(),
                serde_json::to_vec_pretty(&body).unwrap(),
            ] {
                for authority in authorities() {
                    compared += compare(&bytes, version, &authority);
                }
            }
        }
    }
    // Most of the fixtures are valid statements; a broken loader must not pass vacuously.
    assert!(compared > 500, "only {compared} statements compared");
}

#[test]
fn the_columns_of_a_full_statement() {
    let body = json!({
        "actor": {"mbox": "mailto:a@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": "http://example.com/a", "definition": {"type": "http://example.com/t",
                   "extensions": {"http://x/n": {"z": [1, 2.0], "a": null}}}},
        "result": {"score": {"scaled": 0.5, "raw": 5, "min": 0, "max": 10},
                   "success": true, "completion": false, "duration": "PT1M",
                   "extensions": {"http://x/s": "a \"b\"", "http://x/n": 1.50}},
        "context": {"registration": "EC531277-B57B-4C15-8D91-D292C5B2B8F7",
                    "platform": "web", "language": "en-GB",
                    "contextActivities": {"parent": {"id": "http://example.com/p"}},
                    "extensions": {"http://x/n": true}},
        "timestamp": "2025-01-02T03:04:05.678Z"
    });
    let st = parse_statements(body.to_string().as_bytes(), XapiVersion::V2_0_0)
        .unwrap()
        .remove(0);
    let f = StatementFacts::of(&st);
    assert_eq!(f, StatementFacts::from_body(body.to_string().as_bytes()));
    assert_eq!(f.actor_ifi, "mbox:mailto:a@example.com");
    assert_eq!(f.registration, "ec531277-b57b-4c15-8d91-d292c5b2b8f7");
    assert_eq!(f.timestamp_us, Some(1_735_787_045_678_000));
    assert_eq!(f.context_parent, ["http://example.com/p"]);
    assert_eq!(f.duration_ms, Some(60_000));
    assert_eq!(
        f.ext_keys,
        [
            "result.extensions.http://x/n",
            "result.extensions.http://x/s",
            "context.extensions.http://x/n",
            "object.definition.extensions.http://x/n"
        ]
    );
    assert_eq!(
        f.ext_values,
        ["1.5", "a \"b\"", "true", r#"{"a":null,"z":[1,2.0]}"#]
    );
}

#[test]
fn durations() {
    assert_eq!(duration_ms("PT1H2M3.5S"), Some(3_723_500));
    assert_eq!(duration_ms("P1D"), Some(86_400_000));
    assert_eq!(duration_ms("P1W"), Some(7 * 86_400_000));
    assert_eq!(duration_ms("PT0,25S"), Some(250));
    assert_eq!(duration_ms("P1DT1S"), Some(86_401_000));
    for bad in ["", "P", "PT", "1H", "PT1X", "PT1S2M", "PTS"] {
        assert_eq!(duration_ms(bad), None, "{bad}");
    }
}

/// JSON values an extension, a score or a string field may hold: escapes, exponents, nesting.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        "[a-zA-Z0-9 \"\\\\/\u{e9}\u{1F600}\n\t]{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-z\"]{1,4}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn statement() -> impl Strategy<Value = Value> {
    let object = prop_oneof![
        Just(json!({"id": "http://example.com/a/\u{e9}", "definition": {"type": "http://t/x"}})),
        Just(json!({"objectType": "Agent", "account": {"homePage": "http://h", "name": "n"}})),
        Just(json!({"objectType": "Group", "member": [{"mbox": "mailto:m@example.com"}]})),
        Just(json!({"objectType": "StatementRef", "id": "9E13CEFD-53D3-4EAC-B5ED-2CF6693903BB"})),
        Just(
            json!({"objectType": "SubStatement", "actor": {"mbox": "mailto:s@example.com"},
                    "verb": {"id": "http://v/s"}, "object": {"id": "http://example.com/s"}})
        ),
    ];
    (
        object,
        prop::collection::btree_map("http://x/[a-c]{1,2}", json_value(), 0..3),
        prop::collection::btree_map("http://y/[a-c]{1,2}", json_value(), 0..3),
        prop::option::of(-1.0f64..=1.0),
        prop::option::of(any::<i32>()),
        prop::option::of(prop_oneof![Just("PT1M30.5S"), Just("P1Y2M3DT4H")]),
        prop::option::of(prop_oneof![
            Just("2026-12-07T03:04:05.123456789+01:00"),
            Just("2026-12-07T03:04:05Z")
        ]),
        any::<bool>(),
    )
        .prop_map(|(mut object, result_ext, context_ext, scaled, raw, duration, ts, canonical)| {
            if let Some(def) = object.get_mut("definition") {
                def["extensions"] = json!(result_ext.clone());
            }
            let mut st = json!({
                "actor": {"mbox": "mailto:a@example.com", "name": "A \"quoted\""},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
                "object": object,
                "result": {"extensions": result_ext, "success": raw.is_some(),
                           "score": {"scaled": scaled, "raw": raw}},
                "context": {"extensions": context_ext,
                            "registration": "EC531277-B57B-4C15-8D91-D292C5B2B8F7",
                            "contextActivities": {"grouping": [{"id": "http://g/1"}, {"id": "http://g/2"}],
                                                  "other": {"id": "http://o/1"}}},
            });
            let score = st["result"]["score"].as_object_mut().unwrap();
            score.retain(|_, v| !v.is_null());
            if score.is_empty() {
                st["result"].as_object_mut().unwrap().remove("score");
            }
            if st["object"].get("definition").is_some() {
                st["context"]["platform"] = json!("p\u{1F600} \"x\"");
                st["context"]["language"] = json!("en-GB");
            }
            if let Some(d) = duration {
                st["result"]["duration"] = json!(d);
            }
            if let Some(t) = ts {
                st["timestamp"] = json!(t);
            }
            // As the typed model writes them: the statement is stored as received, not
            // serialized again.
            if canonical {
                st["context"]["registration"] = json!("ec531277-b57b-4c15-8d91-d292c5b2b8f7");
                st["context"]["contextActivities"]["other"] = json!([{"id": "http://o/1"}]);
            }
            st
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn carried_facts_equal_stored_facts_on_random_statements(st in statement()) {
        let mut compared = 0;
        // Compact and pretty-printed: stored bodies are minified, extension values included.
        for bytes in [serde_json::to_vec(&st).unwrap(), serde_json::to_vec_pretty(&st).unwrap()] {
            for authority in authorities() {
                compared += compare(&bytes, XapiVersion::V2_0_0, &authority);
            }
        }
        prop_assert_eq!(compared, 4, "the generated statement must be valid: {}", st);
    }
}
