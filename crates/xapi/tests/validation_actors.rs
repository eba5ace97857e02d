//! Accept/reject cases for actors, authority, the agent parameter and generic JSON rules
//! (nulls, unknown properties, types, malformed bodies).

mod common;

use cairn_xapi::{Actor, parse_agent_param, parse_statements};
use common::{V1, V2, bad, base, both_bad, both_ok, with};
use serde_json::{Value, json};

#[test]
fn error_display_names_path_and_problem() {
    let e = bad(
        &json!([
            base(),
            with(|s| s["actor"]["mbox"] = json!("xapi@adlnet.gov"))
        ]),
        V1,
    );
    assert_eq!(e.path, "statement[1].actor.mbox");
    assert!(
        e.to_string().starts_with("statement[1].actor.mbox: "),
        "{e}"
    );
    assert!(e.message.contains("mailto"), "{e}");
    let e = bad(
        &with(|s| s["context"] = json!({"registration": "nope"})),
        V1,
    );
    assert_eq!(e.path, "statement.context.registration");
}

#[test]
fn nulls_are_rejected_everywhere_but_extension_values() {
    both_bad(&with(|s| s["actor"]["name"] = Value::Null));
    both_bad(&with(|s| s["verb"]["display"] = Value::Null));
    both_bad(&with(|s| s["object"]["definition"] = Value::Null));
    both_bad(&with(|s| s["result"] = Value::Null));
    both_bad(&with(|s| s["result"] = json!({"success": null})));
    both_bad(&with(|s| s["context"] = json!({"registration": null})));
    both_bad(&with(|s| s["id"] = Value::Null));
    both_bad(&with(|s| s["verb"]["display"]["en-US"] = Value::Null));
    both_ok(&with(|s| {
        s["result"] = json!({"extensions": {"http://example.com/ext": null}})
    }));
    both_ok(&with(
        |s| s["context"] = json!({"extensions": {"http://example.com/ext": {"a": [null, 1, ""]}}}),
    ));
}

#[test]
fn unknown_and_miscased_properties_are_rejected() {
    both_bad(&with(|s| s["foo"] = json!("bar")));
    both_bad(&with(|s| s["Actor"] = s["actor"].clone()));
    both_bad(&with(|s| s["verb"]["Display"] = json!({"en-US": "x"})));
    both_bad(&with(|s| s["object"]["objectType"] = json!("activity")));
    both_bad(&with(|s| {
        s["result"] = json!({"score": {"scaled": 0.5, "Raw": 1}})
    }));
    both_bad(&with(|s| s["actor"]["objectType"] = json!("agent")));
}

#[test]
fn wrong_types_are_rejected() {
    both_bad(&with(|s| s["result"] = json!({"success": "true"})));
    both_bad(&with(|s| s["result"] = json!({"score": {"raw": "1"}})));
    both_bad(&with(|s| s["actor"]["name"] = json!(1)));
    both_bad(&with(|s| s["attachments"] = json!({})));
}

#[test]
fn agents_need_exactly_one_ifi() {
    both_bad(&with(|s| {
        s["actor"] = json!({"objectType": "Agent", "name": "no ifi"})
    }));
    both_bad(&with(|s| {
        s["actor"]["openid"] = json!("http://openid.example.org/1");
    }));
    both_ok(&with(
        |s| s["actor"] = json!({"mbox_sha1sum": "cd9b00a5611f94eaa7b1661edab976068e364975"}),
    ));
    both_ok(&with(|s| {
        s["actor"] = json!({"openid": "http://openid.example.org/12345"})
    }));
    both_ok(&with(
        |s| {
            s["actor"] = json!({"account": {"homePage": "http://www.example.com", "name": "xAPI account name"}})
        },
    ));
    both_bad(&with(|s| {
        s["actor"] = json!({"account": {"homePage": "http://www.example.com"}})
    }));
    both_bad(&with(|s| s["actor"] = json!({"account": {"name": "x"}})));
    both_bad(&with(
        |s| s["actor"] = json!({"account": {"homePage": "homePage.com/testUser", "name": "1"}}),
    ));
    both_bad(&with(|s| {
        s["actor"] = json!({"openid": "open.id.com/testUser"})
    }));
    both_bad(&with(|s| {
        s["actor"] = json!({"mbox_sha1sum": "not-a-sha1"})
    }));
    both_bad(&with(|s| s["actor"] = json!({"mbox": "mailto:"})));
}

#[test]
fn groups_identified_or_anonymous_with_agent_members() {
    let member = json!([{"mbox": "mailto:a@example.com"}, {"objectType": "Agent", "mbox": "mailto:b@example.com"}]);
    both_ok(&with(|s| {
        s["actor"] = json!({"objectType": "Group", "member": member.clone()})
    }));
    both_ok(&with(|s| {
        s["actor"] = json!({"objectType": "Group", "mbox": "mailto:g@example.com"})
    }));
    both_ok(&with(
        |s| s["actor"] = json!({"objectType": "Group", "mbox": "mailto:g@example.com", "member": member.clone()}),
    ));
    both_bad(&with(|s| {
        s["actor"] = json!({"objectType": "Group", "name": "anon, no members"})
    }));
    both_bad(&with(|s| {
        s["actor"] = json!({"objectType": "Group", "member": []})
    }));
    both_bad(&with(
        |s| s["actor"] = json!({"objectType": "Group", "member": [{"objectType": "Group", "mbox": "mailto:g@x.com"}]}),
    ));
    both_bad(&with(|s| {
        s["actor"] = json!({"objectType": "Group", "member": [{"name": "no ifi"}]})
    }));
    // a Group without objectType is an Agent, which may not have members
    let e =
        both_bad(&with(
            |s| s["actor"] = json!({"mbox": "mailto:g@example.com", "member": member.clone()}),
        ));
    assert!(e.message.contains("member"), "{e}");
}

#[test]
fn authority_is_agent_or_two_member_anonymous_group() {
    let agent = |m: &str| json!({"mbox": format!("mailto:{m}@example.com")});
    both_ok(&with(|s| s["authority"] = agent("auth")));
    both_ok(&with(
        |s| s["authority"] = json!({"objectType": "Group", "member": [agent("a"), agent("b")]}),
    ));
    both_bad(&with(|s| {
        s["authority"] = json!({"objectType": "Group", "member": [agent("a")]})
    }));
    both_bad(&with(
        |s| {
            s["authority"] =
                json!({"objectType": "Group", "member": [agent("a"), agent("b"), agent("c")]})
        },
    ));
    both_bad(&with(
        |s| s["authority"] = json!({"objectType": "Group", "mbox": "mailto:g@x.com", "member": [agent("a"), agent("b")]}),
    ));
}

#[test]
fn malformed_bodies() {
    for body in [
        &b""[..],
        b"   ",
        b"{",
        b"[1]",
        b"\"x\"",
        b"{}",
        b"[{}]",
        b"{\"actor\":1}",
        b"null",
        b"{} {}",
    ] {
        assert!(
            parse_statements(body, V1).is_err(),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn agent_param() {
    let a = parse_agent_param(r#"{"mbox":"mailto:x@example.com"}"#, V1).unwrap();
    assert_eq!(a.ifi_key().as_deref(), Some("mbox:mailto:x@example.com"));
    let g = parse_agent_param(
        r#"{"objectType":"Group","account":{"homePage":"http://h.example","name":"n"}}"#,
        V2,
    )
    .unwrap();
    assert!(matches!(g, Actor::Group(_)));
    assert_eq!(g.ifi_key().as_deref(), Some("account:http://h.example|n"));
    assert!(
        parse_agent_param(
            r#"{"objectType":"Group","member":[{"mbox":"mailto:x@example.com"}]}"#,
            V1
        )
        .is_err()
    );
    assert!(parse_agent_param(r#"{"mbox":"x@example.com"}"#, V1).is_err());
    assert!(parse_agent_param("not json", V1).is_err());
    let e = parse_agent_param(r#"{"name":"x"}"#, V1).unwrap_err();
    assert_eq!(e.path, "agent");
}
