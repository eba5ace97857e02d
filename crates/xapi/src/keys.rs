//! What filtered statement queries (`agent`, `verb`, `activity`, `registration`,
//! `related_agents`, `related_activities`) match on.

use crate::model::{Activity, Actor, Agent, Context, Group, Statement, StatementObject};
use serde::{Deserialize, Serialize};

/// The values a stored statement is indexed under. All agent entries are IFI keys
/// as produced by [`Actor::ifi_key`]; lists are de-duplicated, in first-seen order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IndexKeys {
    /// The `agent` filter: the actor and, when it is an Agent/Group, the object.
    /// Groups contribute their own IFI (if identified) and their members' IFIs
    /// ("Groups that have members which match the specified Agent ... are considered a match").
    pub agents: Vec<String>,
    /// `related_agents=true`: `agents` plus authority, context instructor and team,
    /// 2.0 contextAgents/contextGroups, and the same inside a SubStatement.
    pub related_agents: Vec<String>,
    /// The verb IRI.
    pub verb: String,
    /// The `activity` filter: the object's activity id.
    pub activities: Vec<String>,
    /// `related_activities=true`: `activities` plus all context activities (parent,
    /// grouping, category, other), and the same inside a SubStatement.
    pub related_activities: Vec<String>,
    /// `context.registration`, lowercase hyphenated.
    pub registration: Option<String>,
}

fn push(list: &mut Vec<String>, k: String) {
    if !list.contains(&k) {
        list.push(k);
    }
}

fn add_agent(list: &mut Vec<String>, a: &Agent) {
    if let Some(k) = a.ifi_key() {
        push(list, k);
    }
}

fn add_group(list: &mut Vec<String>, g: &Group) {
    if let Some(k) = g.ifi_key() {
        push(list, k);
    }
    for m in g.members() {
        add_agent(list, m);
    }
}

fn add_actor(list: &mut Vec<String>, a: &Actor) {
    match a {
        Actor::Agent(x) => add_agent(list, x),
        Actor::Group(g) => add_group(list, g),
    }
}

fn add_object_agents(list: &mut Vec<String>, o: &StatementObject) {
    match o {
        StatementObject::Agent(a) => add_agent(list, a),
        StatementObject::Group(g) => add_group(list, g),
        _ => {}
    }
}

fn add_context_agents(list: &mut Vec<String>, c: &Context) {
    if let Some(i) = &c.instructor {
        add_actor(list, i);
    }
    if let Some(t) = &c.team {
        add_actor(list, t);
    }
    for ca in c.context_agents.iter().flatten() {
        add_agent(list, &ca.agent);
    }
    for cg in c.context_groups.iter().flatten() {
        add_group(list, &cg.group);
    }
}

fn add_context_activities(list: &mut Vec<String>, c: &Context) {
    if let Some(ca) = &c.context_activities {
        for (_, l) in ca.lists() {
            for a in l {
                push(list, a.id.clone());
            }
        }
    }
}

fn add_activity(list: &mut Vec<String>, o: &StatementObject) {
    if let StatementObject::Activity(Activity { id, .. }) = o {
        push(list, id.clone());
    }
}

/// Compute the index keys of a statement.
pub fn index_keys(s: &Statement) -> IndexKeys {
    let mut k = IndexKeys {
        verb: s.verb.id.clone(),
        ..Default::default()
    };
    add_actor(&mut k.agents, &s.actor);
    add_object_agents(&mut k.agents, &s.object);
    add_activity(&mut k.activities, &s.object);

    k.related_agents = k.agents.clone();
    k.related_activities = k.activities.clone();
    if let Some(a) = &s.authority {
        add_actor(&mut k.related_agents, a);
    }
    if let Some(c) = &s.context {
        add_context_agents(&mut k.related_agents, c);
        add_context_activities(&mut k.related_activities, c);
        k.registration = c.registration.map(|r| r.hyphenated().to_string());
    }
    if let StatementObject::SubStatement(sub) = &s.object {
        add_actor(&mut k.related_agents, &sub.actor);
        add_object_agents(&mut k.related_agents, &sub.object);
        add_activity(&mut k.related_activities, &sub.object);
        if let Some(c) = &sub.context {
            add_context_agents(&mut k.related_agents, c);
            add_context_activities(&mut k.related_activities, c);
        }
    }
    k
}
