//! The filter language: bounds, parsing, SQL generation and inlining never panic on any text.
#![no_main]
use cairn_filter::{Filter, Limits, inline};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = Filter::parse_str(text);
    let Ok(json) = serde_json::from_str::<serde_json::Value>(text) else {
        return;
    };
    let small = Limits {
        max_nodes: 8,
        max_values: 8,
        max_string_bytes: 64,
    };
    let _ = Filter::parse_within(&json, &small);
    if let Ok(f) = Filter::parse_within(&json, &Limits::default()) {
        let sql = f.to_sql(1_700_000_000_000_000);
        let _ = inline(&sql.clause, &sql.params);
    }
});
