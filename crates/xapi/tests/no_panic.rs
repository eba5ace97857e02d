//! Property tests: no input makes the crate panic, and every accepted statement
//! survives a serialize/parse round trip unchanged (equivalent, same JSON).

mod common;

use cairn_xapi::{
    Format, XapiVersion, equivalent, format_statement, index_keys, parse_agent_param,
    parse_statements, verify_signature,
};
use proptest::prelude::*;
use serde_json::{Value, json};

fn seeds() -> &'static [Value] {
    static SEEDS: std::sync::OnceLock<Vec<Value>> = std::sync::OnceLock::new();
    SEEDS.get_or_init(load_seeds)
}

fn load_seeds() -> Vec<Value> {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/suite_v2_0.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let cases: Vec<Value> = serde_json::from_str(&text).unwrap();
    // every 7th suite body (valid and invalid), plus the minimal statement
    let mut out: Vec<Value> = cases
        .into_iter()
        .step_by(7)
        .map(|c| c["body"].clone())
        .collect();
    out.push(common::base());
    out
}

/// Count nodes, then replace/delete the `n`-th one.
fn nodes(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(nodes).sum(),
        Value::Object(o) => o.values().map(nodes).sum(),
        _ => 0,
    }
}

fn mutate(v: &mut Value, n: &mut usize, op: u8, junk: &Value) -> bool {
    if *n == 0 {
        match op % 4 {
            0 => *v = junk.clone(),
            1 => *v = Value::Null,
            2 => {
                if let Value::Object(o) = v
                    && let Some(k) = o.keys().next().cloned()
                {
                    o.remove(&k);
                }
            }
            _ => {
                if let Value::Object(o) = v {
                    o.insert("objectType".into(), junk.clone());
                } else {
                    *v = json!([junk.clone(), v.clone()]);
                }
            }
        }
        return true;
    }
    *n -= 1;
    match v {
        Value::Array(a) => a.iter_mut().any(|c| mutate(c, n, op, junk)),
        Value::Object(o) => o.values_mut().any(|c| mutate(c, n, op, junk)),
        _ => false,
    }
}

fn junk() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
        Just(json!("SubStatement")),
        Just(json!("Group")),
        Just(json!("mailto:x@example.com")),
        Just(json!("2013-05-18T05:32:34.804+00:00")),
        Just(json!("8f87ccde-bb56-4c2e-ab83-44982ef22df0")),
        Just(json!({})),
        Just(json!([])),
        Just(json!({"id": "http://example.com/a"})),
    ]
}

fn exercise(body: &[u8]) {
    for version in [XapiVersion::V1_0_3, XapiVersion::V2_0_0] {
        let Ok(list) = parse_statements(body, version) else {
            continue;
        };
        for s in &list {
            let _ = index_keys(s);
            let json = s.to_json();
            let again = parse_statements(&json, version).unwrap_or_else(|e| {
                panic!(
                    "accepted statement does not re-parse: {e}\n{}",
                    String::from_utf8_lossy(&json)
                )
            });
            assert!(equivalent(s, &again[0]), "round trip changed the statement");
            assert_eq!(again[0].to_json(), json, "serialization is not stable");
            for f in [Format::Exact, Format::Ids, Format::Canonical] {
                format_statement(&json, f, &["en-US".to_string()]).unwrap();
            }
            let _ = verify_signature(s, b"e30.e30.AA");
        }
    }
}

proptest! {
    // 512 cases by default; PROPTEST_CASES=N runs more.
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512),
    ))]

    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..256)) {
        exercise(&body);
        let text = String::from_utf8_lossy(&body);
        let _ = parse_agent_param(&text, XapiVersion::V1_0_3);
        let _ = format_statement(&body, Format::Ids, &[]);
        let _ = format_statement(&body, Format::Canonical, &["*".into()]);
        let s = cairn_xapi::parse_statement(&serde_json::to_vec(&common::base()).unwrap(), XapiVersion::V1_0_3).unwrap();
        let _ = verify_signature(&s, &body);
    }

    #[test]
    fn mutated_statements_never_panic(seed in any::<prop::sample::Index>(), picks in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), junk()), 1..4)) {
        let seeds = seeds();
        let mut v = seeds[seed.index(seeds.len())].clone();
        for (at, op, j) in picks {
            let mut n = at.index(nodes(&v));
            mutate(&mut v, &mut n, op, &j);
        }
        exercise(&serde_json::to_vec(&v).unwrap());
        exercise(&serde_json::to_vec(&json!([v.clone(), v])).unwrap());
    }
}

#[test]
fn every_accepted_suite_body_round_trips() {
    for v in seeds().iter() {
        exercise(&serde_json::to_vec(&v).unwrap());
    }
}
