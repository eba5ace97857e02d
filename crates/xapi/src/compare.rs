//! Statement comparison ("Statement Comparison Requirements", xAPI 1.0.3 Data 2.3.1 and
//! the 2.0 equivalent): two statements match unless they differ in something that is
//! not an exception to statement immutability.
//!
//! Ignored: `authority`, `stored`, `version`, `id` when either side lacks it, `timestamp`
//! when either side lacks it (compared as an instant otherwise), attachments, verb
//! `display`, activity definitions, the presence of optional `objectType`s, the order
//! of group members, and case where the spec makes a value case-insensitive (e-mail
//! domains, SHA1 hex, language tags, UUIDs). Durations are compared to 0.01 s (2.0 4.2.7).

use crate::model::{
    Account, Activity, Actor, Agent, Context, Extensions, Group, Statement, StatementObject,
    SubStatement, Verb, XapiResult,
};
use crate::validate::formats::{normalize_duration, parse_timestamp};
use serde_json::Value;

/// Whether `a` and `b` are the same statement for the purposes of a repeated id
/// (same => no conflict) and of signature verification.
pub fn equivalent(a: &Statement, b: &Statement) -> bool {
    both_or_ignore(&a.id, &b.id, |x, y| x == y)
        && actor_eq(&a.actor, &b.actor)
        && verb_eq(&a.verb, &b.verb)
        && object_eq(&a.object, &b.object)
        && opt_eq(&a.result, &b.result, result_eq)
        && context_opt_eq(&a.context, &b.context)
        && both_or_ignore(&a.timestamp, &b.timestamp, |x, y| instant_eq(x, y))
}

fn both_or_ignore<T>(a: &Option<T>, b: &Option<T>, f: impl Fn(&T, &T) -> bool) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => f(x, y),
        _ => true,
    }
}

fn opt_eq<T>(a: &Option<T>, b: &Option<T>, f: impl Fn(&T, &T) -> bool) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => f(x, y),
        (None, None) => true,
        _ => false,
    }
}

fn instant_eq(a: &str, b: &str) -> bool {
    match (parse_timestamp(a), parse_timestamp(b)) {
        (Ok(x), Ok(y)) => x.unix_nanos == y.unix_nanos,
        _ => a == b,
    }
}

fn mbox_eq(a: &str, b: &str) -> bool {
    match (a.rsplit_once('@'), b.rsplit_once('@')) {
        (Some((la, da)), Some((lb, db))) => la == lb && da.eq_ignore_ascii_case(db),
        _ => a == b,
    }
}

struct Ifi<'a> {
    mbox: &'a Option<String>,
    sha1: &'a Option<String>,
    openid: &'a Option<String>,
    account: &'a Option<Account>,
}

fn ifi_eq(a: Ifi, b: Ifi) -> bool {
    opt_eq(a.mbox, b.mbox, |x, y| mbox_eq(x, y))
        && opt_eq(a.sha1, b.sha1, |x, y| x.eq_ignore_ascii_case(y))
        && opt_eq(a.openid, b.openid, |x, y| x == y)
        && opt_eq(a.account, b.account, |x, y| x == y)
}

fn agent_eq(a: &Agent, b: &Agent) -> bool {
    a.name == b.name
        && ifi_eq(
            Ifi {
                mbox: &a.mbox,
                sha1: &a.mbox_sha1sum,
                openid: &a.openid,
                account: &a.account,
            },
            Ifi {
                mbox: &b.mbox,
                sha1: &b.mbox_sha1sum,
                openid: &b.openid,
                account: &b.account,
            },
        )
}

fn group_eq(a: &Group, b: &Group) -> bool {
    a.name == b.name
        && ifi_eq(
            Ifi {
                mbox: &a.mbox,
                sha1: &a.mbox_sha1sum,
                openid: &a.openid,
                account: &a.account,
            },
            Ifi {
                mbox: &b.mbox,
                sha1: &b.mbox_sha1sum,
                openid: &b.openid,
                account: &b.account,
            },
        )
        && a.member.is_some() == b.member.is_some()
        && unordered_eq(a.members(), b.members(), agent_eq)
}

/// Multiset equality under `eq`.
fn unordered_eq<T>(a: &[T], b: &[T], eq: impl Fn(&T, &T) -> bool) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut used = vec![false; b.len()];
    a.iter().all(
        |x| match b.iter().enumerate().position(|(j, y)| !used[j] && eq(x, y)) {
            Some(j) => {
                used[j] = true;
                true
            }
            None => false,
        },
    )
}

fn actor_eq(a: &Actor, b: &Actor) -> bool {
    match (a, b) {
        (Actor::Agent(x), Actor::Agent(y)) => agent_eq(x, y),
        (Actor::Group(x), Actor::Group(y)) => group_eq(x, y),
        _ => false,
    }
}

fn verb_eq(a: &Verb, b: &Verb) -> bool {
    a.id == b.id
}

fn activity_eq(a: &Activity, b: &Activity) -> bool {
    a.id == b.id
}

fn object_eq(a: &StatementObject, b: &StatementObject) -> bool {
    use StatementObject as O;
    match (a, b) {
        (O::Activity(x), O::Activity(y)) => activity_eq(x, y),
        (O::Agent(x), O::Agent(y)) => agent_eq(x, y),
        (O::Group(x), O::Group(y)) => group_eq(x, y),
        (O::StatementRef(x), O::StatementRef(y)) => x.id == y.id,
        (O::SubStatement(x), O::SubStatement(y)) => sub_eq(x, y),
        _ => false,
    }
}

fn sub_eq(a: &SubStatement, b: &SubStatement) -> bool {
    actor_eq(&a.actor, &b.actor)
        && verb_eq(&a.verb, &b.verb)
        && object_eq(&a.object, &b.object)
        && opt_eq(&a.result, &b.result, result_eq)
        && context_opt_eq(&a.context, &b.context)
        && opt_eq(&a.timestamp, &b.timestamp, |x, y| instant_eq(x, y))
}

fn result_eq(a: &XapiResult, b: &XapiResult) -> bool {
    opt_eq(&a.score, &b.score, |x, y| x.same_values(y))
        && a.success == b.success
        && a.completion == b.completion
        && a.response == b.response
        && opt_eq(&a.duration, &b.duration, |x, y| {
            normalize_duration(x) == normalize_duration(y)
        })
        && extensions_eq(&a.extensions, &b.extensions)
}

fn context_opt_eq(a: &Option<Context>, b: &Option<Context>) -> bool {
    let empty = Context::default();
    context_eq(a.as_ref().unwrap_or(&empty), b.as_ref().unwrap_or(&empty))
}

fn activities_eq(a: &Option<Vec<Activity>>, b: &Option<Vec<Activity>>) -> bool {
    let (a, b) = (a.as_deref().unwrap_or(&[]), b.as_deref().unwrap_or(&[]));
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| activity_eq(x, y))
}

fn context_eq(a: &Context, b: &Context) -> bool {
    let ca_eq = {
        let d = Default::default();
        let (x, y) = (
            a.context_activities.as_ref().unwrap_or(&d),
            b.context_activities.as_ref().unwrap_or(&d),
        );
        activities_eq(&x.parent, &y.parent)
            && activities_eq(&x.grouping, &y.grouping)
            && activities_eq(&x.category, &y.category)
            && activities_eq(&x.other, &y.other)
    };
    ca_eq
        && a.registration == b.registration
        && opt_eq(&a.instructor, &b.instructor, actor_eq)
        && opt_eq(&a.team, &b.team, actor_eq)
        && opt_eq(&a.context_agents, &b.context_agents, |x, y| {
            x.len() == y.len()
                && x.iter().zip(y).all(|(p, q)| {
                    agent_eq(&p.agent, &q.agent) && p.relevant_types == q.relevant_types
                })
        })
        && opt_eq(&a.context_groups, &b.context_groups, |x, y| {
            x.len() == y.len()
                && x.iter().zip(y).all(|(p, q)| {
                    group_eq(&p.group, &q.group) && p.relevant_types == q.relevant_types
                })
        })
        && a.revision == b.revision
        && a.platform == b.platform
        && opt_eq(&a.language, &b.language, |x, y| x.eq_ignore_ascii_case(y))
        && opt_eq(&a.statement, &b.statement, |x, y| x.id == y.id)
        && extensions_eq(&a.extensions, &b.extensions)
}

fn extensions_eq(a: &Option<Extensions>, b: &Option<Extensions>) -> bool {
    let (a, b) = (
        a.as_ref().map(|e| &e.0[..]).unwrap_or(&[]),
        b.as_ref().map(|e| &e.0[..]).unwrap_or(&[]),
    );
    a.len() == b.len()
        && a.iter().all(|(k, v)| {
            b.iter().find(|(k2, _)| k2 == k).is_some_and(|(_, v2)| {
                match (
                    serde_json::from_str::<Value>(v.get()),
                    serde_json::from_str::<Value>(v2.get()),
                ) {
                    (Ok(x), Ok(y)) => json_eq(&x, &y),
                    _ => v.get() == v2.get(),
                }
            })
        })
}

/// JSON equality where numbers compare by value (1 == 1.0).
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}
