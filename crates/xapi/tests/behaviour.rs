//! Statement methods, comparison, index keys and response formats.

mod common;

use cairn_xapi::{
    Actor, Agent, Format, Group, Statement, XapiVersion, equivalent, format_statement, index_keys,
    parse_statement,
};
use common::{base, bytes, with};
use serde_json::{Value, json};
use uuid::Uuid;

fn st(v: &Value) -> Statement {
    parse_statement(&bytes(v), XapiVersion::V2_0_0).unwrap_or_else(|e| panic!("{e}\n{v}"))
}

fn json_of(s: &Statement) -> Value {
    serde_json::from_slice(&s.to_json()).unwrap()
}

#[test]
fn to_json_round_trips_exactly_what_was_sent() {
    let v = with(|s| {
        s["id"] = json!("8f87ccde-bb56-4c2e-ab83-44982ef22df0");
        s["actor"] = json!({"mbox": "mailto:no-object-type@example.com"});
        s["object"] = json!({"id": "http://example.com/a", "definition": {"name": {"en-US": "A"}, "type": "http://example.com/t",
            "extensions": {"http://example.com/e": {"nested": [1, 2.5, null, "x"]}}}});
        s["result"] = json!({"score": {"scaled": 0.95, "raw": 95, "min": 0, "max": 100}, "success": true, "duration": "PT1S"});
        s["timestamp"] = json!("2013-05-18T05:32:34.804+02:00");
    });
    let out = json_of(&st(&v));
    assert_eq!(out, v);
    assert!(
        out["actor"].get("objectType").is_none(),
        "objectType must not be invented"
    );
}

#[test]
fn lrs_setters() {
    let mut s = st(&with(|s| s["stored"] = json!("2013-05-18T05:32:34.804Z")));
    assert_eq!(s.id(), None);
    let id = Uuid::new_v4();
    s.set_id(id);
    assert_eq!(s.id(), Some(id));
    s.set_authority(Actor::Agent(Agent::with_account(
        "http://lrs.example",
        "client",
    )));
    s.set_version_if_missing("2.0.0");
    s.set_version_if_missing("1.0.0");
    s.set_timestamp_if_missing("2020-01-01T00:00:00Z");
    s.set_timestamp_if_missing("2021-01-01T00:00:00Z");
    s.clear_stored();
    let out = json_of(&s);
    assert_eq!(out["id"], json!(id.to_string()));
    assert_eq!(
        out["authority"],
        json!({"objectType": "Agent", "account": {"homePage": "http://lrs.example", "name": "client"}})
    );
    assert_eq!(out["version"], "2.0.0");
    assert_eq!(out["timestamp"], "2020-01-01T00:00:00Z");
    assert!(out.get("stored").is_none());
    let kept = st(&with(|s| s["version"] = json!("1.0.3")));
    let mut kept = kept;
    kept.set_version_if_missing("2.0.0");
    assert_eq!(kept.version.as_deref(), Some("1.0.3"));
}

#[test]
fn voiding_and_refs() {
    let target = "8f87ccde-bb56-4c2e-ab83-44982ef22df0";
    let r = with(|s| s["object"] = json!({"objectType": "StatementRef", "id": target}));
    let s = st(&r);
    assert_eq!(s.voided_target(), None);
    assert_eq!(
        s.statement_ref_target(),
        Some(Uuid::parse_str(target).unwrap())
    );
    let mut v = r.clone();
    v["verb"]["id"] = json!("http://adlnet.gov/expapi/verbs/voided");
    let s = st(&v);
    assert_eq!(s.voided_target(), Some(Uuid::parse_str(target).unwrap()));
    assert_eq!(st(&base()).statement_ref_target(), None);
}

#[test]
fn attachments_accessors() {
    let sig = json!({"usageType": "http://adlnet.gov/expapi/attachments/signature", "display": {"en-US": "sig"},
        "contentType": "application/octet-stream", "length": 10, "sha2": "a".repeat(64)});
    let other = json!({"usageType": "http://example.com/u", "display": {"en-US": "x"}, "contentType": "text/plain",
        "length": 3, "sha2": "b".repeat(64), "fileUrl": "http://example.com/f"});
    let s = st(&with(|s| s["attachments"] = json!([other, sig])));
    assert_eq!(s.attachments().len(), 2);
    let sigs: Vec<_> = s.signature_attachments().collect();
    assert_eq!(sigs.len(), 1);
    assert_eq!(sigs[0].length, 10);
    assert_eq!(
        s.attachments()[0].file_url.as_deref(),
        Some("http://example.com/f")
    );
    assert!(st(&base()).attachments().is_empty());
}

#[test]
fn equivalence_ignores_what_the_spec_lets_change() {
    let a = st(&base());
    assert!(equivalent(&a, &a.clone()));
    let same = [
        with(|s| {
            s["authority"] = json!({"mbox": "mailto:auth@example.com"});
            s["stored"] = json!("2020-01-01T00:00:00Z");
            s["version"] = json!("1.0.0");
            s["timestamp"] = json!("2020-01-01T00:00:00Z");
        }),
        with(|s| s["verb"]["display"] = json!({"fr": "a assisté"})),
        with(|s| s["object"]["definition"] = json!({"name": {"en-US": "other"}})),
        with(|s| s["actor"]["mbox"] = json!("mailto:xapi@ADLNET.gov")),
        with(|s| {
            s["actor"].as_object_mut().unwrap().remove("objectType");
            s["object"].as_object_mut().unwrap().remove("objectType");
        }),
        with(|s| {
            s["attachments"] = json!([{"usageType": "http://example.com/u", "display": {"en-US": "x"},
            "contentType": "text/plain", "length": 1, "sha2": "c".repeat(64)}])
        }),
    ];
    for v in &same {
        assert!(equivalent(&a, &st(v)), "should be equivalent: {v}");
    }
    let different = [
        with(|s| s["verb"]["id"] = json!("http://adlnet.gov/expapi/verbs/failed")),
        with(|s| s["object"]["id"] = json!("http://example.com/other")),
        with(|s| s["actor"]["name"] = json!("someone else")),
        with(|s| s["actor"]["mbox"] = json!("mailto:XAPI@adlnet.gov")),
        with(|s| s["result"] = json!({"success": true})),
        with(|s| s["context"] = json!({"registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7"})),
    ];
    for v in &different {
        assert!(!equivalent(&a, &st(v)), "should differ: {v}");
    }
}

#[test]
fn equivalence_details() {
    let ts = |t: &str| st(&with(|s| s["timestamp"] = json!(t)));
    assert!(equivalent(
        &ts("2023-05-04T12:00:00-05:00"),
        &ts("2023-05-04T17:00:00.000Z")
    ));
    assert!(!equivalent(
        &ts("2023-05-04T12:00:00-05:00"),
        &ts("2023-05-04T12:00:00Z")
    ));
    let dur = |d: &str| st(&with(|s| s["result"] = json!({"duration": d})));
    assert!(equivalent(
        &dur("P1DT12H36M0.1237S"),
        &dur("P1DT12H36M0.12S")
    ));
    assert!(!equivalent(
        &dur("P1DT12H36M0.13S"),
        &dur("P1DT12H36M0.12S")
    ));
    let grp = |m: Value| {
        st(&with(|s| {
            s["actor"] = json!({"objectType": "Group", "member": m})
        }))
    };
    let (x, y) = (
        json!({"mbox": "mailto:x@example.com"}),
        json!({"mbox": "mailto:y@example.com"}),
    );
    assert!(equivalent(
        &grp(json!([x.clone(), y.clone()])),
        &grp(json!([y.clone(), x.clone()]))
    ));
    assert!(!equivalent(
        &grp(json!([x.clone(), y.clone()])),
        &grp(json!([x.clone(), x.clone()]))
    ));
    let ext = |e: Value| {
        st(&with(|s| {
            s["context"] = json!({"extensions": {"http://example.com/e": e}})
        }))
    };
    assert!(equivalent(
        &ext(json!({"a": 1, "b": [1.0]})),
        &ext(json!({"b": [1], "a": 1.0}))
    ));
    assert!(!equivalent(&ext(json!({"a": 1})), &ext(json!({"a": 2}))));
    let id = |i: &str| st(&with(|s| s["id"] = json!(i)));
    assert!(!equivalent(
        &id("8f87ccde-bb56-4c2e-ab83-44982ef22df0"),
        &id("9f87ccde-bb56-4c2e-ab83-44982ef22df0")
    ));
}

#[test]
fn index_keys_cover_filters() {
    let v = with(|s| {
        s["actor"] = json!({"objectType": "Group", "mbox": "mailto:team@example.com",
            "member": [{"mbox_sha1sum": "CD9B00A5611F94EAA7B1661EDAB976068E364975"}]});
        s["authority"] = json!({"account": {"homePage": "http://lrs.example", "name": "client"}});
        s["context"] = json!({
            "registration": "EC531277-B57B-4C15-8D91-D292C5B2B8F7",
            "instructor": {"openid": "http://openid.example/i"},
            "team": {"objectType": "Group", "member": [{"mbox": "mailto:t1@example.com"}]},
            "contextActivities": {"parent": [{"id": "http://example.com/parent"}], "category": {"id": "http://example.com/cat"}},
            "contextAgents": [{"objectType": "contextAgent", "agent": {"mbox": "mailto:ca@example.com"}}]
        });
    });
    let k = index_keys(&st(&v));
    assert_eq!(
        k.agents,
        vec![
            "mbox:mailto:team@example.com",
            "mbox_sha1sum:cd9b00a5611f94eaa7b1661edab976068e364975"
        ]
    );
    assert_eq!(
        k.related_agents,
        vec![
            "mbox:mailto:team@example.com",
            "mbox_sha1sum:cd9b00a5611f94eaa7b1661edab976068e364975",
            "account:http://lrs.example|client",
            "openid:http://openid.example/i",
            "mbox:mailto:t1@example.com",
            "mbox:mailto:ca@example.com",
        ]
    );
    assert_eq!(k.verb, "http://adlnet.gov/expapi/verbs/attended");
    assert_eq!(
        k.activities,
        vec!["http://www.example.com/meetings/occurances/34534"]
    );
    assert_eq!(
        k.related_activities,
        vec![
            "http://www.example.com/meetings/occurances/34534",
            "http://example.com/parent",
            "http://example.com/cat"
        ]
    );
    assert_eq!(
        k.registration.as_deref(),
        Some("ec531277-b57b-4c15-8d91-d292c5b2b8f7")
    );
}

#[test]
fn index_keys_of_agent_objects_and_sub_statements() {
    let v = with(|s| {
        let mut sub = base();
        sub["objectType"] = json!("SubStatement");
        sub["actor"] = json!({"mbox": "mailto:sub@example.com"});
        sub["object"] = json!({"id": "http://example.com/sub-activity"});
        sub["context"] =
            json!({"contextActivities": {"other": [{"id": "http://example.com/sub-other"}]}});
        s["object"] = sub;
    });
    let k = index_keys(&st(&v));
    assert_eq!(k.agents, vec!["mbox:mailto:xapi@adlnet.gov"]);
    assert!(k.activities.is_empty());
    assert!(
        k.related_agents
            .contains(&"mbox:mailto:sub@example.com".to_string())
    );
    assert_eq!(
        k.related_activities,
        vec![
            "http://example.com/sub-activity",
            "http://example.com/sub-other"
        ]
    );
    let v =
        with(|s| s["object"] = json!({"objectType": "Agent", "mbox": "mailto:obj@example.com"}));
    let k = index_keys(&st(&v));
    assert_eq!(
        k.agents,
        vec!["mbox:mailto:xapi@adlnet.gov", "mbox:mailto:obj@example.com"]
    );
    assert_eq!(k.registration, None);
}

#[test]
fn ifi_keys() {
    let g = Actor::Group(Group::anonymous(vec![Agent::with_mbox(
        "mailto:a@example.com",
    )]));
    assert_eq!(g.ifi_key(), None);
    assert_eq!(
        Actor::Agent(Agent::with_mbox("mailto:a@example.com"))
            .ifi_key()
            .as_deref(),
        Some("mbox:mailto:a@example.com")
    );
}

/// The statement of the suite's "format" tests: a SubStatement whose actor is an identified Group.
fn format_fixture() -> Value {
    json!({
        "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0",
        "actor": {"objectType": "Agent", "name": "xAPI mbox", "mbox": "mailto:agent@adlnet.gov"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"en-GB": "attended", "en-US": "attended us"}},
        "object": {
            "objectType": "SubStatement",
            "actor": {"objectType": "Group", "name": "G", "mbox": "mailto:group@adlnet.gov",
                      "member": [{"name": "m", "mbox": "mailto:m@adlnet.gov"}]},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/reported", "display": {"en-US": "reported", "en-GB": "reported gb"}},
            "object": {"objectType": "Activity", "id": "http://www.example.com/unicode/1",
                "definition": {"name": {"en-US": "n us", "en-GB": "n gb", "fr": "n fr"}, "description": {"en-US": "d us", "en-GB": "d gb"},
                    "type": "http://adlnet.gov/expapi/activities/meeting", "interactionType": "choice",
                    "correctResponsesPattern": ["a"], "choices": [{"id": "a", "description": {"en-US": "A", "en-GB": "A gb"}}]}}
        },
        "context": {"instructor": {"objectType": "Group", "member": [{"name": "i", "mbox": "mailto:i@adlnet.gov"}]},
                    "contextActivities": {"category": [{"id": "http://example.com/cat", "definition": {"name": {"en-US": "c us", "en-GB": "c gb"}}}]}},
        "stored": "2020-01-01T00:00:00.000Z",
        "authority": {"objectType": "Agent", "name": "auth", "mbox": "mailto:auth@adlnet.gov"}
    })
}

#[test]
fn format_exact_is_identity() {
    let raw = bytes(&format_fixture());
    assert_eq!(format_statement(&raw, Format::Exact, &[]).unwrap(), raw);
    assert_eq!(Format::from_param("ids"), Some(Format::Ids));
    assert_eq!(Format::from_param("canonical"), Some(Format::Canonical));
    assert_eq!(Format::from_param("exact"), Some(Format::Exact));
    assert_eq!(Format::from_param("Exact"), None);
}

#[test]
fn format_ids_keeps_only_identifiers() {
    let out: Value = serde_json::from_slice(
        &format_statement(&bytes(&format_fixture()), Format::Ids, &[]).unwrap(),
    )
    .unwrap();
    assert_eq!(
        out["actor"],
        json!({"objectType": "Agent", "mbox": "mailto:agent@adlnet.gov"})
    );
    assert_eq!(
        out["verb"],
        json!({"id": "http://adlnet.gov/expapi/verbs/attended"})
    );
    assert_eq!(
        out["object"]["actor"],
        json!({"objectType": "Group", "mbox": "mailto:group@adlnet.gov"})
    );
    assert_eq!(
        out["object"]["verb"],
        json!({"id": "http://adlnet.gov/expapi/verbs/reported"})
    );
    assert_eq!(
        out["object"]["object"],
        json!({"id": "http://www.example.com/unicode/1"})
    );
    assert_eq!(
        out["context"]["instructor"],
        json!({"objectType": "Group", "member": [{"mbox": "mailto:i@adlnet.gov"}]})
    );
    assert_eq!(
        out["context"]["contextActivities"]["category"],
        json!([{"id": "http://example.com/cat"}])
    );
    assert_eq!(
        out["authority"],
        json!({"objectType": "Agent", "mbox": "mailto:auth@adlnet.gov"})
    );
    assert_eq!(out["stored"], "2020-01-01T00:00:00.000Z");
}

#[test]
fn format_canonical_picks_one_language() {
    let langs = vec!["en-GB".to_string()];
    let out: Value = serde_json::from_slice(
        &format_statement(&bytes(&format_fixture()), Format::Canonical, &langs).unwrap(),
    )
    .unwrap();
    assert_eq!(out["verb"]["display"], json!({"en-GB": "attended"}));
    assert_eq!(
        out["object"]["verb"]["display"],
        json!({"en-GB": "reported gb"})
    );
    let def = &out["object"]["object"]["definition"];
    assert_eq!(def["name"], json!({"en-GB": "n gb"}));
    assert_eq!(def["description"], json!({"en-GB": "d gb"}));
    assert_eq!(def["choices"][0]["description"], json!({"en-GB": "A gb"}));
    assert_eq!(def["type"], "http://adlnet.gov/expapi/activities/meeting");
    assert_eq!(
        out["context"]["contextActivities"]["category"][0]["definition"]["name"],
        json!({"en-GB": "c gb"})
    );
    assert_eq!(
        out["actor"],
        format_fixture()["actor"],
        "agents are untouched"
    );
    // prefix and fallback rules (json! sorts keys, so the map is en-GB, en-US, fr)
    let pick = |l: &[&str]| -> Value {
        let l: Vec<String> = l.iter().map(|s| s.to_string()).collect();
        let o: Value = serde_json::from_slice(
            &format_statement(&bytes(&format_fixture()), Format::Canonical, &l).unwrap(),
        )
        .unwrap();
        o["object"]["object"]["definition"]["name"].clone()
    };
    assert_eq!(pick(&["fr-CA"]), json!({"fr": "n fr"}));
    assert_eq!(pick(&["de", "en"]), json!({"en-GB": "n gb"}));
    assert_eq!(pick(&["de", "en-us"]), json!({"en-US": "n us"}));
    assert_eq!(pick(&["de", "*"]), json!({"en-GB": "n gb"}));
    assert_eq!(pick(&["de"]), json!({"en-GB": "n gb"}));
    assert_eq!(pick(&[]), json!({"en-GB": "n gb"}));
    assert!(format_statement(b"not json", Format::Ids, &[]).is_err());
}
