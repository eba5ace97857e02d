//! Months, the months a retention archives, the manifest's format.
use super::*;

fn us(s: &str) -> i64 {
    crate::time_fmt::parse_us(s).unwrap()
}

#[test]
fn months_parse_print_and_span_their_days() {
    let m: Month = "2026-02".parse().unwrap();
    assert_eq!(m.to_string(), "2026-02");
    assert_eq!(
        m.range_us(),
        (us("2026-02-01T00:00:00Z"), us("2026-03-01T00:00:00Z"))
    );
    let dec: Month = "2025-12".parse().unwrap();
    assert_eq!(dec.range_us().1, us("2026-01-01T00:00:00Z"));
    for bad in [
        "2026-13", "2026-00", "26-01", "2026-1", "2026/01", "", "abcd-ef",
    ] {
        assert!(bad.parse::<Month>().is_err(), "{bad}");
    }
    assert_eq!(Month::of_us(us("2026-02-28T23:59:59.999999Z")), m);
    assert_eq!(Month::of_us(us("2026-03-01T00:00:00Z")), m.next());
    assert_eq!(m.minus(2), dec);
    assert_eq!(m.minus(14), "2024-12".parse().unwrap());
}

#[test]
fn retention_archives_whole_months_older_than_kept() {
    let now = us("2026-03-15T12:00:00Z");
    let oldest = Some(us("2025-11-20T08:00:00Z"));
    let names = |v: Vec<Month>| v.iter().map(|m| m.to_string()).collect::<Vec<_>>();
    // Keep 1 month: March is current, February is kept, January and older go.
    assert_eq!(
        names(months_due(now, 1, oldest)),
        ["2025-11", "2025-12", "2026-01"]
    );
    // Keep 0: only the current month stays.
    assert_eq!(names(months_due(now, 0, oldest)).last().unwrap(), "2026-02");
    assert!(months_due(now, 4, oldest).is_empty());
    assert!(months_due(now, 1, None).is_empty());
    assert_eq!(last_due(now, 1).to_string(), "2026-01");
    assert_eq!(last_due(now, 12).to_string(), "2025-02");
    // On the first instant of a month the month before becomes due.
    let first = us("2026-04-01T00:00:00Z");
    assert_eq!(
        names(months_due(first, 1, oldest)).last().unwrap(),
        "2026-02"
    );
}

#[test]
fn the_manifest_is_plain_json_and_refuses_unknown_fields() {
    let m = Manifest {
        format: FORMAT_VERSION,
        store: StoreId::DEFAULT,
        month: "2026-01".parse().unwrap(),
        count: 2,
        sha256: "ab".into(),
        attachments: 0,
        attachments_sha256: "cd".into(),
        first_stored: Some("2026-01-01T00:00:00.000000Z".into()),
        last_stored: Some("2026-01-31T00:00:00.000000Z".into()),
    };
    let json = serde_json::to_value(&m).unwrap();
    assert_eq!(json["month"], "2026-01");
    assert_eq!(json["store"], "00000000-0000-0000-0000-000000000001");
    assert_eq!(serde_json::from_value::<Manifest>(json.clone()).unwrap(), m);
    let mut extra = json;
    extra["surprise"] = 1.into();
    assert!(serde_json::from_value::<Manifest>(extra).is_err());
}

#[test]
fn an_archived_line_restores_its_body_and_stored_exactly() {
    use crate::event::StatementRecord;
    let body = br#"{"id":"3c7a7d4e-8b8a-4c55-9d6e-1a2b3c4d5e6f","actor":{"mbox":"mailto:a@b.c"},"verb":{"id":"http://adlnet.gov/expapi/verbs/voided"},"object":{"objectType":"StatementRef","id":"0c7a7d4e-8b8a-4c55-9d6e-1a2b3c4d5e6f"},"timestamp":"2026-01-02T03:04:05.000Z","version":"1.0.0"}"#;
    let rec = StatementRecord {
        store: StoreId::DEFAULT,
        id: "3c7a7d4e-8b8a-4c55-9d6e-1a2b3c4d5e6f".parse().unwrap(),
        stored_us: us("2026-01-02T03:04:05.123456Z"),
        keys: Default::default(),
        voids: None,
        attachments: vec![],
        body: body.to_vec(),
        facts: None,
    };
    let st = restore::new_statement(&rec.full_json()).unwrap();
    assert_eq!(st.body, body.to_vec());
    assert_eq!(st.id, rec.id);
    assert_eq!(st.restored_stored_us, Some(rec.stored_us));
    assert_eq!(
        st.voids,
        Some("0c7a7d4e-8b8a-4c55-9d6e-1a2b3c4d5e6f".parse().unwrap())
    );
    assert!(st.keys.agents.contains(&"mbox:mailto:a@b.c".to_string()));
    for bad in [&b"{}"[..], b"{\"stored\":\"nope\",\"id\":1}", b"[1]", b""] {
        assert!(restore::new_statement(bad).is_err());
    }
}
