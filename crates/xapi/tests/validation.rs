//! Accept/reject cases for the data-model rules (objects, results, contexts, formats),
//! beyond the replayed ADL templates.

mod common;

use cairn_xapi::{StatementObject, parse_statement, parse_statements};
use common::{V1, V2, bad, base, both_bad, both_ok, bytes, ok, with};
use serde_json::{Value, json};

#[test]
fn minimal_statement_and_batch() {
    both_ok(&base());
    both_ok(&json!([base(), base()]));
    let list = parse_statements(&bytes(&json!([base(), base()])), V1).unwrap();
    assert_eq!(list.len(), 2);
    assert!(parse_statement(&bytes(&json!([base()])), V1).is_err());
}

#[test]
fn iris_need_a_scheme() {
    both_bad(&with(|s| {
        s["verb"]["id"] = json!("adlnet.gov/expapi/verbs/attended")
    }));
    both_bad(&with(|s| {
        s["object"]["id"] = json!("www.example.com/meetings")
    }));
    both_bad(&with(|s| {
        s["object"]["definition"] = json!({"type": "example.com/type"})
    }));
    both_bad(&with(|s| {
        s["object"]["definition"] = json!({"moreInfo": "example.com/more"})
    }));
    both_bad(&with(|s| {
        s["object"]["definition"] = json!({"extensions": {"not an iri": 1}})
    }));
    both_bad(&with(|s| {
        s["result"] = json!({"extensions": {"example.com/ext": 1}})
    }));
    both_bad(&with(|s| {
        s["context"] = json!({"extensions": {"example.com/ext": 1}})
    }));
}

#[test]
fn language_maps_need_valid_tags() {
    both_bad(&with(|s| {
        s["verb"]["display"] = json!({"a12345": "attended"})
    }));
    both_bad(&with(|s| {
        s["object"]["definition"] = json!({"name": {"en_US": "x"}})
    }));
    both_bad(&with(|s| s["verb"]["display"] = json!({"en-US": 1})));
    both_ok(&with(|s| {
        s["object"]["definition"] = json!({"name": {"zh-Hant-TW": "x", "es-419": "y"}})
    }));
}

#[test]
fn objects_by_object_type() {
    both_ok(&with(|s| {
        s["object"] = json!({"id": "http://example.com/a"})
    }));
    both_bad(&with(|s| s["object"] = json!({"objectType": "Activity"})));
    both_ok(&with(|s| {
        s["object"] = json!({"objectType": "Agent", "mbox": "mailto:o@example.com"})
    }));
    // Agent-shaped object without objectType is an Activity with stray properties
    both_bad(&with(|s| {
        s["object"] = json!({"mbox": "mailto:o@example.com"})
    }));
    both_bad(&with(
        |s| {
            s["object"] =
                json!({"objectType": "Agent", "mbox": "mailto:o@example.com", "definition": {}})
        },
    ));
    both_ok(&with(
        |s| {
            s["object"] =
                json!({"objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"})
        },
    ));
    both_bad(&with(|s| {
        s["object"] = json!({"objectType": "StatementRef", "id": "not-a-uuid"})
    }));
    both_bad(&with(|s| {
        s["object"] = json!({"objectType": "StatementRef"})
    }));
    both_bad(&with(
        |s| {
            s["object"] =
                json!({"objectType": "StatementRef", "id": "8f87ccdebb564c2eab8344982ef22df0"})
        },
    ));
}

#[test]
fn sub_statements() {
    let sub = |f: &dyn Fn(&mut Value)| {
        with(|s| {
            let mut inner = base();
            inner["objectType"] = json!("SubStatement");
            f(&mut inner);
            s["object"] = inner;
        })
    };
    both_ok(&sub(&|_| {}));
    both_bad(&sub(&|i| {
        i["id"] = json!("8f87ccde-bb56-4c2e-ab83-44982ef22df0")
    }));
    both_bad(&sub(&|i| i["stored"] = json!("2013-05-18T05:32:34.804Z")));
    both_bad(&sub(&|i| i["version"] = json!("1.0.0")));
    both_bad(&sub(&|i| {
        i["authority"] = json!({"mbox": "mailto:a@example.com"})
    }));
    both_bad(&sub(&|i| i["verb"]["id"] = json!("nope")));
    both_bad(&sub(&|i| {
        let mut nested = base();
        nested["objectType"] = json!("SubStatement");
        i["object"] = nested;
    }));
    both_ok(&sub(
        &|i| {
            i["object"] =
                json!({"objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"})
        },
    ));
    both_bad(&sub(&|i| {
        i.as_object_mut()
            .unwrap()
            .remove("actor")
            .map(|_| ())
            .unwrap()
    }));
}

#[test]
fn interactions() {
    let def = |d: Value| with(|s| s["object"]["definition"] = d);
    let comps = json!([{"id": "a", "description": {"en-US": "A"}}, {"id": "b"}]);
    both_ok(&def(
        json!({"interactionType": "choice", "correctResponsesPattern": ["a"], "choices": comps.clone()}),
    ));
    both_ok(&def(
        json!({"interactionType": "matching", "source": comps.clone(), "target": comps.clone()}),
    ));
    both_ok(&def(
        json!({"interactionType": "likert", "scale": comps.clone()}),
    ));
    both_ok(&def(
        json!({"interactionType": "performance", "steps": comps.clone()}),
    ));
    both_ok(&def(
        json!({"interactionType": "sequencing", "choices": comps.clone()}),
    ));
    both_ok(&def(
        json!({"interactionType": "true-false", "correctResponsesPattern": ["true"]}),
    ));
    both_bad(&def(
        json!({"interactionType": "true-false", "choices": comps.clone()}),
    ));
    both_bad(&def(
        json!({"interactionType": "likert", "choices": comps.clone()}),
    ));
    both_bad(&def(json!({"correctResponsesPattern": ["a"]})));
    both_bad(&def(json!({"choices": comps.clone()})));
    both_bad(&def(json!({"interactionType": "Choice"})));
    both_bad(&def(
        json!({"interactionType": "choice", "choices": [{"id": "a"}, {"id": "a"}]}),
    ));
    both_bad(&def(
        json!({"interactionType": "choice", "choices": [{"id": "a", "extra": 1}]}),
    ));
    both_bad(&def(
        json!({"interactionType": "choice", "correctResponsesPattern": "a"}),
    ));
}

#[test]
fn results_and_scores() {
    let res = |r: Value| with(|s| s["result"] = r);
    both_ok(&res(
        json!({"score": {"scaled": -1, "raw": 5, "min": 0, "max": 10}, "duration": "PT1H0M0S"}),
    ));
    both_bad(&res(json!({"score": {"scaled": 1.01}})));
    both_bad(&res(json!({"score": {"scaled": -1.5}})));
    both_bad(&res(json!({"score": {"min": 10, "max": 0}})));
    both_bad(&res(json!({"score": {"raw": 11, "max": 10}})));
    both_bad(&res(json!({"score": {"raw": -1, "min": 0}})));
    both_bad(&res(json!({"duration": "1 hour"})));
    both_bad(&res(json!({"duration": "P4W1D"})));
    both_ok(&res(json!({"duration": "P1DT12H36M0.12567S"})));
}

#[test]
fn contexts() {
    let ctx = |c: Value| with(|s| s["context"] = c);
    both_ok(&ctx(json!({
        "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
        "instructor": {"mbox": "mailto:i@example.com"},
        "team": {"objectType": "Group", "mbox": "mailto:t@example.com"},
        "contextActivities": {"parent": {"id": "http://example.com/p"}, "other": [{"id": "http://example.com/o"}]},
        "revision": "r1", "platform": "web", "language": "en-US",
        "statement": {"objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"}
    })));
    both_bad(&ctx(json!({"team": {"mbox": "mailto:t@example.com"}})));
    both_bad(&ctx(json!({"language": "not a tag!"})));
    both_bad(&ctx(
        json!({"contextActivities": {"parent": {"id": "nope"}}}),
    ));
    both_bad(&ctx(json!({"contextActivities": {"sibling": []}})));
    both_bad(&ctx(
        json!({"statement": {"id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"}}),
    ));
    let agent_object = |c: Value| {
        with(|s| {
            s["object"] = json!({"objectType": "Agent", "mbox": "mailto:o@example.com"});
            s["context"] = c;
        })
    };
    both_bad(&agent_object(json!({"revision": "r1"})));
    both_bad(&agent_object(json!({"platform": "web"})));
    both_ok(&agent_object(json!({"language": "en"})));
}

#[test]
fn context_activities_single_object_is_kept_as_array() {
    let v = with(|s| {
        s["context"] = json!({"contextActivities": {"category": {"id": "http://example.com/c"}}})
    });
    let st = parse_statement(&bytes(&v), V1).unwrap();
    let out: Value = serde_json::from_slice(&st.to_json()).unwrap();
    assert_eq!(
        out["context"]["contextActivities"]["category"],
        json!([{"id": "http://example.com/c"}])
    );
}

#[test]
fn context_agents_and_groups_are_2_0_only() {
    let ca = with(|s| {
        s["context"] = json!({"contextAgents": [{"objectType": "contextAgent", "agent": {"mbox": "mailto:p@example.com"},
            "relevantTypes": ["https://example.com/types/player"]}]})
    });
    ok(&ca, V2);
    let e = bad(&ca, V1);
    assert_eq!(e.path, "statement.context.contextAgents");
    let cg = with(|s| {
        s["context"] = json!({"contextGroups": [{"objectType": "contextGroup",
            "group": {"objectType": "Group", "mbox": "mailto:t@example.com"}}]})
    });
    ok(&cg, V2);
    bad(&cg, V1);
    bad(
        &with(
            |s| s["context"] = json!({"contextAgents": [{"objectType": "contextAgent", "agent": {"mbox": "mailto:p@example.com"}, "relevantTypes": []}]}),
        ),
        V2,
    );
    bad(
        &with(|s| {
            s["context"] = json!({"contextAgents": [{"agent": {"mbox": "mailto:p@example.com"}}]})
        }),
        V2,
    );
    bad(
        &with(
            |s| s["context"] = json!({"contextGroups": [{"objectType": "contextGroup", "group": {"mbox": "mailto:p@example.com"}}]}),
        ),
        V2,
    );
}

#[test]
fn timestamps_and_versions() {
    both_ok(&with(|s| {
        s["timestamp"] = json!("2013-05-18T05:32:34.804+00:00")
    }));
    both_bad(&with(|s| {
        s["timestamp"] = json!("2013-05-18T05:32:34.804-00:00")
    }));
    both_bad(&with(|s| s["stored"] = json!("yesterday")));
    let no_tz = with(|s| s["timestamp"] = json!("2013-05-18T05:32:34.804"));
    ok(&no_tz, V1);
    bad(&no_tz, V2);
    both_ok(&with(|s| s["version"] = json!("1.0")));
    both_ok(&with(|s| s["version"] = json!("1.0.9")));
    both_bad(&with(|s| s["version"] = json!("1.1.0")));
    let v2 = with(|s| s["version"] = json!("2.0.0"));
    ok(&v2, V2);
    bad(&v2, V1);
}

#[test]
fn ids_must_be_hyphenated_uuids_and_unique_in_a_batch() {
    both_ok(&with(|s| {
        s["id"] = json!("8F87CCDE-BB56-4C2E-AB83-44982EF22DF0")
    }));
    both_bad(&with(|s| {
        s["id"] = json!("{8f87ccde-bb56-4c2e-ab83-44982ef22df0}")
    }));
    both_bad(&with(|s| {
        s["id"] = json!("urn:uuid:8f87ccde-bb56-4c2e-ab83-44982ef22df0")
    }));
    let a = with(|s| s["id"] = json!("8f87ccde-bb56-4c2e-ab83-44982ef22df0"));
    let e = both_bad(&json!([a.clone(), base(), a]));
    assert_eq!(e.path, "statement[2].id");
}

#[test]
fn voiding_needs_a_statement_ref() {
    let mut v = with(|s| s["verb"]["id"] = json!("http://adlnet.gov/expapi/verbs/voided"));
    both_bad(&v);
    v["object"] =
        json!({"objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"});
    both_ok(&v);
}

#[test]
fn attachments() {
    let att = json!({"usageType": "http://adlnet.gov/expapi/attachments/signature", "display": {"en-US": "sig"},
        "contentType": "application/octet-stream", "length": 10,
        "sha2": "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a"});
    both_ok(&with(|s| s["attachments"] = json!([att.clone()])));
    let m = |f: &dyn Fn(&mut Value)| {
        let mut a = att.clone();
        f(&mut a);
        with(|s| s["attachments"] = json!([a]))
    };
    both_bad(&m(&|a| {
        a["contentType"] = json!("text/plain; charset=ascii")
    }));
    both_bad(&m(&|a| a["usageType"] = json!("signature")));
    both_bad(&m(&|a| a["length"] = json!(-1)));
    both_bad(&m(&|a| a["length"] = json!("10")));
    both_bad(&m(&|a| a["sha2"] = json!("")));
    both_bad(&m(&|a| a["fileUrl"] = json!("file.txt")));
    both_bad(&m(&|a| {
        a.as_object_mut()
            .unwrap()
            .remove("display")
            .map(|_| ())
            .unwrap()
    }));
    both_ok(&m(&|a| {
        a["usageType"] = json!("http://example.com/usage");
        a["contentType"] = json!("text/plain");
        a["fileUrl"] = json!("http://over.there.com/file.txt");
    }));
}

#[test]
fn object_kinds_are_exposed() {
    let st = parse_statement(
        &bytes(&with(|s| {
            s["object"] = json!({"objectType": "Group", "mbox": "mailto:g@x.com"})
        })),
        V1,
    )
    .unwrap();
    assert!(matches!(st.object, StatementObject::Group(_)));
}

/// Repeated ids in a batch were found by comparing each statement with every earlier one:
/// quadratic, so a 64 MiB body of distinct ids cost minutes of CPU. They are now found in one
/// pass; a repeat is still refused where it occurs, however large the batch.
#[test]
fn repeated_ids_are_found_in_large_batches() {
    let n = 30_000;
    let ids: Vec<String> = (0..n)
        .map(|i| format!("00000000-0000-4000-8000-{i:012}"))
        .collect();
    let batch = |last: &str| {
        let mut list: Vec<Value> = ids
            .iter()
            .map(|id| common::with(|v| v["id"] = json!(id)))
            .collect();
        list.push(common::with(|v| v["id"] = json!(last)));
        serde_json::to_vec(&list).unwrap()
    };
    let fresh = "00000000-0000-4000-9000-000000000000";
    assert_eq!(parse_statements(&batch(fresh), V2).unwrap().len(), n + 1);
    let e = parse_statements(&batch(&ids[n / 2]), V2).unwrap_err();
    assert!(e.to_string().contains("used more than once"), "{e}");
    assert!(e.to_string().contains(&format!("[{n}]")), "{e}");
}
