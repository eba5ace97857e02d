//! Statement context.

use super::{Activity, Actor, Agent, Extensions, Group, StatementRef, de_opt_uuid, nn};
use serde::de::{MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;
use uuid::Uuid;

/// Activities giving context; each list may be sent as a single object or an
/// array, and is always kept (and returned) as an array.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextActivities {
    /// Parent activities.
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Option::is_none"
    )]
    pub parent: Option<Vec<Activity>>,
    /// Grouping activities.
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Option::is_none"
    )]
    pub grouping: Option<Vec<Activity>>,
    /// Category activities.
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Option::is_none"
    )]
    pub category: Option<Vec<Activity>>,
    /// Other activities.
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Option::is_none"
    )]
    pub other: Option<Vec<Activity>>,
}

impl ContextActivities {
    /// The present lists, by property name.
    pub fn lists(&self) -> impl Iterator<Item = (&'static str, &[Activity])> {
        [
            ("parent", &self.parent),
            ("grouping", &self.grouping),
            ("category", &self.category),
            ("other", &self.other),
        ]
        .into_iter()
        .filter_map(|(n, l)| l.as_deref().map(|l| (n, l)))
    }

    pub fn lists_mut(&mut self) -> impl Iterator<Item = &mut Vec<Activity>> {
        [
            &mut self.parent,
            &mut self.grouping,
            &mut self.category,
            &mut self.other,
        ]
        .into_iter()
        .flatten()
    }
}

fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Activity>>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<Activity>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an Activity or an array of Activities")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(a) = seq.next_element::<Activity>()? {
                out.push(a);
            }
            Ok(out)
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            Activity::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                .map(|a| vec![a])
        }
    }
    d.deserialize_any(V).map(Some)
}

/// The literal `"contextAgent"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ContextAgentTag {
    /// `"contextAgent"`
    #[serde(rename = "contextAgent")]
    ContextAgent,
}

/// The literal `"contextGroup"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ContextGroupTag {
    /// `"contextGroup"`
    #[serde(rename = "contextGroup")]
    ContextGroup,
}

/// xAPI 2.0: an Agent relevant to the statement, with optional relevance types.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextAgent {
    /// Always `"contextAgent"`.
    #[serde(rename = "objectType")]
    pub object_type: ContextAgentTag,
    /// The Agent.
    pub agent: Agent,
    /// IRIs of the ways the Agent is relevant (non-empty when present).
    #[serde(
        rename = "relevantTypes",
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub relevant_types: Option<Vec<String>>,
}

/// xAPI 2.0: a Group relevant to the statement, with optional relevance types.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextGroup {
    /// Always `"contextGroup"`.
    #[serde(rename = "objectType")]
    pub object_type: ContextGroupTag,
    /// The Group.
    pub group: Group,
    /// IRIs of the ways the Group is relevant (non-empty when present).
    #[serde(
        rename = "relevantTypes",
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub relevant_types: Option<Vec<String>>,
}

/// Context of a statement.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Context {
    /// Registration (attempt/enrolment) UUID.
    #[serde(
        default,
        deserialize_with = "de_opt_uuid",
        skip_serializing_if = "Option::is_none"
    )]
    pub registration: Option<Uuid>,
    /// Instructor (Agent or Group).
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub instructor: Option<Actor>,
    /// Team (must be a Group).
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub team: Option<Actor>,
    /// Context activities.
    #[serde(
        rename = "contextActivities",
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub context_activities: Option<ContextActivities>,
    /// xAPI 2.0 context agents.
    #[serde(
        rename = "contextAgents",
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub context_agents: Option<Vec<ContextAgent>>,
    /// xAPI 2.0 context groups.
    #[serde(
        rename = "contextGroups",
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub context_groups: Option<Vec<ContextGroup>>,
    /// Revision of the learning activity (only with an Activity object).
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub revision: Option<String>,
    /// Platform (only with an Activity object).
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub platform: Option<String>,
    /// RFC 5646 language tag of the experience.
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub language: Option<String>,
    /// Another statement giving context.
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub statement: Option<StatementRef>,
    /// Extensions.
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub extensions: Option<Extensions>,
}
