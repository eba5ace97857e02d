//! Response formats of the statement resource: `exact`, `ids`, `canonical`.

use crate::model::{
    Activity, ActivityDefinition, Actor, Agent, Context, Group, LanguageMap, Statement,
    StatementObject, Verb,
};
use crate::{ValidationError, parse_stored_statement};

/// The `format` query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// As received (the default).
    #[default]
    Exact,
    /// Only identifiers of Agents, Groups (members of anonymous groups too), Activities and Verbs.
    Ids,
    /// Language maps of Activities and Verbs reduced to one language chosen by Accept-Language.
    Canonical,
}

impl Format {
    /// Parse the query parameter value (`exact`, `ids`, `canonical`).
    pub fn from_param(s: &str) -> Option<Self> {
        match s {
            "exact" => Some(Format::Exact),
            "ids" => Some(Format::Ids),
            "canonical" => Some(Format::Canonical),
            _ => None,
        }
    }
}

/// Render a stored statement (complete JSON) in `format`. `accept_languages` are
/// language ranges in preference order (parsed from Accept-Language; `*` allowed).
/// `Exact` returns the input unchanged.
pub fn format_statement(
    json: &[u8],
    format: Format,
    accept_languages: &[String],
) -> Result<Vec<u8>, ValidationError> {
    if format == Format::Exact {
        return Ok(json.to_vec());
    }
    let mut st = parse_stored_statement(json)?;
    match format {
        Format::Exact => {}
        Format::Ids => ids_statement(&mut st),
        Format::Canonical => canonical_statement(&mut st, accept_languages),
    }
    Ok(st.to_json())
}

fn ids_agent(a: &Agent) -> Agent {
    Agent {
        object_type: a.object_type,
        name: None,
        mbox: a.mbox.clone(),
        mbox_sha1sum: a.mbox_sha1sum.clone(),
        openid: a.openid.clone(),
        account: a.account.clone(),
    }
}

fn ids_group(g: &Group) -> Group {
    let identified = g.ifi_count() > 0;
    Group {
        object_type: g.object_type,
        name: None,
        mbox: g.mbox.clone(),
        mbox_sha1sum: g.mbox_sha1sum.clone(),
        openid: g.openid.clone(),
        account: g.account.clone(),
        member: if identified {
            None
        } else {
            g.member.as_ref().map(|m| m.iter().map(ids_agent).collect())
        },
    }
}

fn ids_actor(a: &mut Actor) {
    *a = match a {
        Actor::Agent(x) => Actor::Agent(ids_agent(x)),
        Actor::Group(g) => Actor::Group(ids_group(g)),
    };
}

fn ids_activity(a: &mut Activity) {
    a.object_type = None;
    a.definition = None;
}

fn ids_verb(v: &mut Verb) {
    v.display = None;
}

fn ids_context(c: &mut Context) {
    if let Some(i) = &mut c.instructor {
        ids_actor(i);
    }
    if let Some(t) = &mut c.team {
        ids_actor(t);
    }
    if let Some(ca) = &mut c.context_activities {
        ca.lists_mut().flatten().for_each(ids_activity);
    }
    for ca in c.context_agents.iter_mut().flatten() {
        ca.agent = ids_agent(&ca.agent);
    }
    for cg in c.context_groups.iter_mut().flatten() {
        cg.group = ids_group(&cg.group);
    }
}

fn ids_object(o: &mut StatementObject) {
    match o {
        StatementObject::Activity(a) => ids_activity(a),
        StatementObject::Agent(a) => *a = ids_agent(a),
        StatementObject::Group(g) => *g = ids_group(g),
        StatementObject::StatementRef(_) => {}
        StatementObject::SubStatement(s) => {
            ids_actor(&mut s.actor);
            ids_verb(&mut s.verb);
            ids_object(&mut s.object);
            if let Some(c) = &mut s.context {
                ids_context(c);
            }
        }
    }
}

fn ids_statement(st: &mut Statement) {
    ids_actor(&mut st.actor);
    ids_verb(&mut st.verb);
    ids_object(&mut st.object);
    if let Some(c) = &mut st.context {
        ids_context(c);
    }
    if let Some(a) = &mut st.authority {
        ids_actor(a);
    }
}

/// Pick the entry of `m` best matching the preference list: an exact (case-insensitive)
/// tag, then a more specific tag of a preferred range (`en` => `en-GB`), then a less
/// specific one (`en-GB` => `en`), `*` => first; failing all, the first entry.
pub(crate) fn best_language(m: &LanguageMap, prefs: &[String]) -> Option<usize> {
    if m.is_empty() {
        return None;
    }
    let keys: Vec<&str> = m.0.iter().map(|(k, _)| k.as_str()).collect();
    let starts = |long: &str, short: &str| {
        long.len() > short.len()
            && long.as_bytes()[short.len()] == b'-'
            && long[..short.len()].eq_ignore_ascii_case(short)
    };
    for p in prefs {
        let p = p.trim();
        if p == "*" {
            return Some(0);
        }
        if let Some(i) = keys.iter().position(|k| k.eq_ignore_ascii_case(p)) {
            return Some(i);
        }
        if let Some(i) = keys.iter().position(|k| starts(k, p)) {
            return Some(i);
        }
        if let Some(i) = keys.iter().position(|k| starts(p, k)) {
            return Some(i);
        }
    }
    Some(0)
}

fn reduce(m: &mut LanguageMap, prefs: &[String]) {
    if let Some(i) = best_language(m, prefs) {
        let keep = m.0.swap_remove(i);
        m.0.clear();
        m.0.push(keep);
    }
}

fn canonical_definition(d: &mut ActivityDefinition, prefs: &[String]) {
    if let Some(m) = &mut d.name {
        reduce(m, prefs);
    }
    if let Some(m) = &mut d.description {
        reduce(m, prefs);
    }
    for list in [
        &mut d.choices,
        &mut d.scale,
        &mut d.source,
        &mut d.target,
        &mut d.steps,
    ]
    .into_iter()
    .flatten()
    {
        for c in list {
            if let Some(m) = &mut c.description {
                reduce(m, prefs);
            }
        }
    }
}

fn canonical_activity(a: &mut Activity, prefs: &[String]) {
    if let Some(d) = &mut a.definition {
        canonical_definition(d, prefs);
    }
}

fn canonical_verb(v: &mut Verb, prefs: &[String]) {
    if let Some(m) = &mut v.display {
        reduce(m, prefs);
    }
}

fn canonical_context(c: &mut Context, prefs: &[String]) {
    if let Some(ca) = &mut c.context_activities {
        ca.lists_mut()
            .flatten()
            .for_each(|a| canonical_activity(a, prefs));
    }
}

fn canonical_object(o: &mut StatementObject, prefs: &[String]) {
    match o {
        StatementObject::Activity(a) => canonical_activity(a, prefs),
        StatementObject::SubStatement(s) => {
            canonical_verb(&mut s.verb, prefs);
            canonical_object(&mut s.object, prefs);
            if let Some(c) = &mut s.context {
                canonical_context(c, prefs);
            }
        }
        _ => {}
    }
}

fn canonical_statement(st: &mut Statement, prefs: &[String]) {
    canonical_verb(&mut st.verb, prefs);
    canonical_object(&mut st.object, prefs);
    if let Some(c) = &mut st.context {
        canonical_context(c, prefs);
    }
}
