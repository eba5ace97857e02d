use super::*;
use crate::error::Error;
use crate::ids::StoreId;
use std::collections::BTreeMap;
use uuid::Uuid;

const S: StoreId = StoreId::DEFAULT;

fn mbox(x: &str) -> String {
    format!("mbox:mailto:{x}@example.com")
}

/// Decides and applies commands on a state, as the writer does (delta, then commit).
fn run(st: &mut PersonaState, cmds: Vec<PersonaCommand>) -> Result<Vec<PersonaEvent>, Error> {
    let mut delta = Delta::default();
    let mut events = Vec::new();
    for c in cmds {
        let changes = decide(
            &Overlay {
                base: st,
                delta: &delta,
            },
            S,
            c,
        )?;
        for ch in changes {
            delta.apply(st, S, &ch, 7);
            events.push(PersonaEvent {
                store: S,
                at_us: 7,
                change: ch,
            });
        }
    }
    // What the delta predicted must be what applying the events to the state gives.
    let predicted: Vec<_> = events
        .iter()
        .flat_map(|e| e.change.links())
        .map(|(i, _)| {
            (
                i.to_string(),
                Overlay {
                    base: st,
                    delta: &delta,
                }
                .holder(S, i),
            )
        })
        .collect();
    for e in &events {
        st.apply(e);
    }
    for (ifi, holder) in predicted {
        assert_eq!(st.holder(S, &ifi), holder, "{ifi}");
    }
    Ok(events)
}

fn create(id: Uuid, name: &str, ids: &[String]) -> PersonaCommand {
    PersonaCommand::Create {
        id,
        name: name.into(),
        attributes: BTreeMap::new(),
        identifiers: ids.to_vec(),
    }
}

#[test]
fn create_merge_split_delete_keep_the_index_true() {
    let mut st = PersonaState::default();
    let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    run(&mut st, vec![create(a, "Ann", &[mbox("a1"), mbox("a2")])]).unwrap();
    run(&mut st, vec![create(b, "Ann B", &[mbox("b1")])]).unwrap();
    assert_eq!(st.holder(S, &mbox("a2")), Some(a));

    let ev = run(&mut st, vec![PersonaCommand::Merge { from: b, into: a }]).unwrap();
    assert_eq!(ev[0].change.links(), vec![(mbox("b1").as_str(), Some(a))]);
    assert!(st.persona(S, b).is_none());
    assert_eq!(st.holder(S, &mbox("b1")), Some(a));
    assert_eq!(st.persona(S, a).unwrap().identifiers.len(), 3);

    run(
        &mut st,
        vec![PersonaCommand::Split {
            from: a,
            id: c,
            name: "Ann 2".into(),
            identifiers: vec![mbox("a2"), mbox("b1")],
        }],
    )
    .unwrap();
    assert_eq!(st.persona(S, a).unwrap().identifiers, vec![mbox("a1")]);
    assert_eq!(st.holder(S, &mbox("b1")), Some(c));

    run(&mut st, vec![PersonaCommand::Delete { id: c }]).unwrap();
    assert_eq!(st.holder(S, &mbox("a2")), None);
    assert_eq!(st.of_store(S).count(), 1);
}

#[test]
fn refusals_name_the_problem() {
    let mut st = PersonaState::default();
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    run(&mut st, vec![create(a, "Ann", &[mbox("a1")])]).unwrap();
    let held = run(&mut st, vec![create(b, "Bob", &[mbox("a1")])]).unwrap_err();
    assert!(matches!(held, Error::Conflict(m) if m.contains(&a.to_string())));
    assert!(matches!(
        run(&mut st, vec![create(b, "  ", &[])]).unwrap_err(),
        Error::BadRequest(_)
    ));
    assert!(matches!(
        run(&mut st, vec![PersonaCommand::Merge { from: a, into: a }]).unwrap_err(),
        Error::BadRequest(_)
    ));
    assert!(matches!(
        run(&mut st, vec![PersonaCommand::Delete { id: b }]).unwrap_err(),
        Error::NotFound
    ));
    let split = PersonaCommand::Split {
        from: a,
        id: b,
        name: "x".into(),
        identifiers: vec![mbox("zz")],
    };
    assert!(
        matches!(run(&mut st, vec![split]).unwrap_err(), Error::BadRequest(m) if m.contains("zz"))
    );
}

#[test]
fn a_request_sees_its_own_earlier_commands() {
    let mut st = PersonaState::default();
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    // Create, then move the identifier to a second persona in the same request.
    run(
        &mut st,
        vec![
            create(a, "A", &[mbox("x")]),
            create(b, "B", &[]),
            PersonaCommand::Merge { from: a, into: b },
            PersonaCommand::Update {
                id: b,
                name: Some("B2".into()),
                attributes: Some(BTreeMap::from([("team".into(), "red".into())])),
            },
        ],
    )
    .unwrap();
    let p = st.persona(S, b).unwrap();
    assert_eq!(
        (p.name.as_str(), p.identifiers.clone()),
        ("B2", vec![mbox("x")])
    );
    assert_eq!(p.attributes["team"], "red");
}

#[test]
fn identifiers_are_validated_and_round_trip() {
    let ok = [
        serde_json::json!({"mbox": "mailto:a@b.c"}),
        serde_json::json!({"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"}),
        serde_json::json!({"openid": "http://id.example.com/a"}),
        serde_json::json!({"account": {"homePage": "http://lms.example.com", "name": "u1"}}),
    ];
    for v in ok {
        let ifi = ifi_of(&v).unwrap();
        assert_eq!(identifier_json(&ifi), v, "{ifi}");
    }
    for bad in [
        serde_json::json!({"mbox": "a@b.c"}),
        serde_json::json!({"name": "x"}),
        serde_json::json!({"mbox": "mailto:a@b.c", "openid": "http://x"}),
        serde_json::json!("mailto:a@b.c"),
    ] {
        assert!(ifi_of(&bad).is_err(), "{bad}");
    }
}

#[test]
fn person_object_lists_every_identifier() {
    let p = Persona {
        id: Uuid::nil(),
        store: S,
        name: "Ann".into(),
        attributes: BTreeMap::new(),
        identifiers: vec![
            mbox("a1"),
            mbox("a2"),
            "account:http://lms.example.com|u1".into(),
        ],
        created_us: 0,
        updated_us: 0,
    };
    let v = person_of(&p, &["Ann".into(), "Annie".into()]);
    assert_eq!(v["objectType"], "Person");
    assert_eq!(v["name"], serde_json::json!(["Ann", "Annie"]));
    assert_eq!(v["mbox"].as_array().unwrap().len(), 2);
    assert_eq!(v["account"][0]["name"], "u1");
}

#[test]
fn search_matches_name_identifiers_and_attribute_values() {
    let p = Persona {
        id: Uuid::nil(),
        store: S,
        name: "Ada Lovelace".into(),
        attributes: BTreeMap::from([("team".to_string(), "Analytical Engines".to_string())]),
        identifiers: vec![mbox("ada"), "account:https://lms.example.com|u-42".into()],
        created_us: 0,
        updated_us: 0,
    };
    for hit in [
        "lovelace",
        "ADA L",
        "ada@example.com",
        "u-42",
        "lms.example",
        "engines",
        "",
        "   ",
    ] {
        assert!(p.matches(hit), "{hit:?} should match");
    }
    for miss in ["grace", "team", "u-43", "mailto:grace"] {
        assert!(!p.matches(miss), "{miss:?} should not match");
    }
}
