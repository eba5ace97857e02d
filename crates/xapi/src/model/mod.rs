//! The typed xAPI data model. Every struct rejects unknown properties and
//! `null` values during the (typed, allocation-light) serde parse; the
//! semantic rules (IRIs, IFIs, ranges, version rules) live in `crate::validate`.

mod activity;
mod actor;
mod attachment;
mod context;
mod maps;
mod object;
mod statement;

pub use activity::{ActivityDefinition, InteractionComponent, InteractionType};
pub use actor::{Account, Actor, ActorType, Agent, AgentTag, Group, GroupTag};
pub use attachment::Attachment;
pub use context::{
    Context, ContextActivities, ContextAgent, ContextAgentTag, ContextGroup, ContextGroupTag,
};
pub use maps::{Extensions, LanguageMap};
pub use object::{
    Activity, ActivityTag, ObjectType, StatementObject, StatementRef, StatementRefTag,
    SubStatement, SubStatementTag,
};
pub use statement::{Score, Statement, Verb, XapiResult};

use serde::{Deserialize, Deserializer};
use uuid::Uuid;

/// `deserialize_with` for optional properties: absent => `None` (via `#[serde(default)]`),
/// present => the value, and `null` is rejected (xAPI forbids nulls outside extensions).
pub(crate) fn nn<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

fn parse_uuid<E: serde::de::Error>(s: &str) -> Result<Uuid, E> {
    // xAPI UUIDs are the 36-character hyphenated form (RFC 4122); other spellings
    // accepted by the `uuid` crate (simple, braced, urn) are rejected.
    if s.len() != 36 {
        return Err(E::custom(format!("`{s}` is not a hyphenated UUID")));
    }
    Uuid::try_parse(s).map_err(|_| E::custom(format!("`{s}` is not a valid UUID")))
}

/// `deserialize_with` for a required UUID.
pub(crate) fn de_uuid<'de, D: Deserializer<'de>>(d: D) -> Result<Uuid, D::Error> {
    let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
    parse_uuid(&s)
}

/// `deserialize_with` for an optional (non-null) UUID.
pub(crate) fn de_opt_uuid<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Uuid>, D::Error> {
    de_uuid(d).map(Some)
}
