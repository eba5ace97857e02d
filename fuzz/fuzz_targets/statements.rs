//! Statement bodies (POST/PUT): parsing and full validation for both xAPI versions never panic,
//! and an accepted statement survives formatting, indexing and a serialize/parse round trip.
#![no_main]
use cairn_xapi::{Format, XapiVersion, equivalent, format_statement, index_keys, parse_statements};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    for version in [XapiVersion::V1_0_3, XapiVersion::V2_0_0] {
        let Ok(list) = parse_statements(body, version) else {
            continue;
        };
        for s in &list {
            let _ = index_keys(s);
            let json = serde_json::to_vec(s).expect("an accepted statement serializes");
            let again = cairn_xapi::parse_stored_statement(&json)
                .expect("a serialized statement parses again");
            assert!(equivalent(s, &again), "round trip changed the statement");
            for format in [Format::Ids, Format::Canonical] {
                let _ = format_statement(&json, format, &["en-US".to_owned()]);
            }
        }
    }
});
