//! The events appended to the log. The log is the source of truth: every projection, index and
//! cache is derived from these and can be rebuilt by replaying them.
//!
//! It imports the event types from the modules' `model`-level files (not their `mod.rs`), so
//! the event log does not depend on the services built around it.
use crate::audit::model::AuditRecord;
use crate::dashboards::model::DashboardEvent;
use crate::documents::rules::DocumentEvent;
use crate::facts::StatementFacts;
use crate::forwarding::model::ForwarderEvent;
use crate::ids::StoreId;
use crate::personas::model::PersonaEvent;
use crate::purge::PurgeEvent;
use crate::tenancy::state::TenancyEvent;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::sync::Arc;
use uuid::Uuid;

/// One entry of the event log, keyed by its sequence number.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Event {
    /// A statement accepted by the LRS.
    Statement(Arc<StatementRecord>),
    /// A change to a State / Activity Profile / Agent Profile document.
    Document(Arc<DocumentEvent>),
    /// A change to an organisation, store, client, user, membership or token.
    Tenancy(Arc<TenancyEvent>),
    /// A change to the personas of a store.
    Persona(Arc<PersonaEvent>),
    /// A change to the dashboards, widgets or share links of a store.
    Dashboard(Arc<DashboardEvent>),
    /// A change to the forwarders of a store.
    Forwarder(Arc<ForwarderEvent>),
    /// Entries removed from the log for good (erasure, store deletion, batch delete,
    /// retention): a record of the removal, never of the removed data ([`crate::purge`]).
    Purge(Arc<PurgeEvent>),
    /// An audited request to the admin API (who did what, when), see [`crate::audit`].
    Audit(Arc<AuditRecord>),
}

impl Event {
    /// A format-version byte, then postcard ([`crate::codec`]).
    pub fn encode(&self) -> Vec<u8> {
        crate::codec::encode(self)
    }

    /// Decodes every format version (entries written before versioning included).
    pub fn decode(bytes: &[u8]) -> Result<Self, String> {
        crate::codec::decode(bytes)
    }

    /// When the event was committed (`stored` for a statement); grows with the log.
    pub fn at_us(&self) -> i64 {
        match self {
            Event::Statement(r) => r.stored_us,
            Event::Document(d) => d.doc.updated_us,
            Event::Tenancy(t) => t.at_us,
            Event::Persona(p) => p.at_us,
            Event::Dashboard(d) => d.at_us,
            Event::Forwarder(f) => f.at_us,
            Event::Purge(p) => p.at_us,
            Event::Audit(a) => a.at_us,
        }
    }

    /// The statement record, when this event is a statement.
    pub fn as_statement(&self) -> Option<&Arc<StatementRecord>> {
        match self {
            Event::Statement(r) => Some(r),
            _ => None,
        }
    }

    /// The store the event belongs to (tenancy events belong to none).
    pub fn store(&self) -> Option<StoreId> {
        match self {
            Event::Statement(r) => Some(r.store),
            Event::Document(d) => Some(d.store),
            Event::Persona(p) => Some(p.store),
            Event::Dashboard(d) => Some(d.store),
            Event::Forwarder(f) => Some(f.store),
            Event::Tenancy(_) | Event::Purge(_) | Event::Audit(_) => None,
        }
    }
}

/// What filtered statement queries match on. Computed once at write time from the statement and,
/// for statements whose object is a StatementRef, merged with the target's keys (xAPI: such a
/// statement meets a filter when its target does).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FilterKeys {
    pub agents: Vec<String>,
    pub related_agents: Vec<String>,
    pub verbs: Vec<String>,
    pub activities: Vec<String>,
    pub related_activities: Vec<String>,
    pub registrations: Vec<String>,
}

impl From<cairn_xapi::IndexKeys> for FilterKeys {
    fn from(k: cairn_xapi::IndexKeys) -> Self {
        FilterKeys {
            agents: k.agents,
            related_agents: k.related_agents,
            verbs: vec![k.verb],
            activities: k.activities,
            related_activities: k.related_activities,
            registrations: k.registration.into_iter().collect(),
        }
    }
}

impl FilterKeys {
    /// Adds the keys of a statement this one targets by StatementRef.
    pub fn inherit(&mut self, target: &FilterKeys) {
        fn merge(into: &mut Vec<String>, from: &[String]) {
            for v in from {
                if !into.contains(v) {
                    into.push(v.clone());
                }
            }
        }
        merge(&mut self.agents, &target.agents);
        merge(&mut self.related_agents, &target.related_agents);
        merge(&mut self.verbs, &target.verbs);
        merge(&mut self.activities, &target.activities);
        merge(&mut self.related_activities, &target.related_activities);
        merge(&mut self.registrations, &target.registrations);
    }
}

/// A stored statement. `body` is the statement's JSON exactly as it will be served, except for
/// `stored`, which the writer assigns at commit time and readers splice in (see [`full_json`]).
///
/// [`full_json`]: StatementRecord::full_json
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatementRecord {
    pub store: StoreId,
    pub id: Uuid,
    pub stored_us: i64,
    pub keys: FilterKeys,
    /// The statement this one voids, when it is a voiding statement.
    pub voids: Option<Uuid>,
    /// SHA-256 (hex) of each attachment body stored with the statement.
    pub attachments: Vec<String>,
    #[serde(with = "serde_bytes")]
    pub body: Vec<u8>,
    /// What the projection's row needs of the statement, carried from the request that parsed
    /// it (never stored: a record read from the log has none, see [`StatementRecord::facts`]).
    #[serde(skip)]
    pub facts: Option<Arc<StatementFacts>>,
}

impl StatementRecord {
    /// About how many bytes of memory the record takes (its body, keys, attachment hashes and
    /// carried facts, with the allocations' own size): what the in-memory tail counts against
    /// `ingest_backlog_mib`.
    pub fn approx_bytes(&self) -> usize {
        const STRING: usize = std::mem::size_of::<String>();
        let k = &self.keys;
        let strings = [
            &k.agents,
            &k.related_agents,
            &k.verbs,
            &k.activities,
            &k.related_activities,
            &k.registrations,
            &self.attachments,
        ];
        std::mem::size_of::<Self>()
            + self.body.capacity()
            + self.facts.as_ref().map_or(0, |f| f.approx_bytes())
            + strings
                .iter()
                .map(|v| v.capacity() * STRING + v.iter().map(String::capacity).sum::<usize>())
                .sum::<usize>()
    }

    /// The projection's facts of the statement: carried from the request, or else parsed from
    /// the stored body (both give the same, see [`crate::facts`]).
    pub fn facts(&self) -> Cow<'_, StatementFacts> {
        match &self.facts {
            Some(f) => Cow::Borrowed(f),
            None => Cow::Owned(StatementFacts::from_body(&self.body)),
        }
    }

    /// The statement as served: `body` with `"stored"` added as its first property.
    pub fn full_json(&self) -> Vec<u8> {
        let stored = crate::time_fmt::format_us(self.stored_us);
        let rest = self.body.strip_prefix(b"{").unwrap_or(&self.body);
        let mut out = Vec::with_capacity(self.body.len() + 48);
        out.extend_from_slice(b"{\"stored\":\"");
        out.extend_from_slice(stored.as_bytes());
        out.push(b'"');
        if rest.first() != Some(&b'}') {
            out.push(b',');
        }
        out.extend_from_slice(rest);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(body: &str) -> StatementRecord {
        StatementRecord {
            store: StoreId::DEFAULT,
            id: Uuid::nil(),
            stored_us: 0,
            keys: FilterKeys::default(),
            voids: None,
            attachments: vec![],
            body: body.as_bytes().to_vec(),
            facts: None,
        }
    }

    #[test]
    fn splices_stored_first() {
        let r = record(r#"{"id":"x"}"#);
        let v: serde_json::Value = serde_json::from_slice(&r.full_json()).unwrap();
        assert_eq!(v["stored"], "1970-01-01T00:00:00.000000Z");
        assert_eq!(v["id"], "x");
        let empty = record("{}");
        assert_eq!(
            empty.full_json(),
            br#"{"stored":"1970-01-01T00:00:00.000000Z"}"#.to_vec()
        );
    }

    #[test]
    fn event_codec_round_trips() {
        let e = Event::Statement(Arc::new(record(r#"{"a":1}"#)));
        let back = Event::decode(&e.encode()).unwrap();
        let r = back.as_statement().unwrap();
        assert_eq!(r.body, br#"{"a":1}"#);
    }

    #[test]
    fn inherit_merges_without_duplicates() {
        let mut a = FilterKeys {
            verbs: vec!["v1".into()],
            ..Default::default()
        };
        let b = FilterKeys {
            verbs: vec!["v1".into(), "v2".into()],
            agents: vec!["mbox:mailto:a@b.c".into()],
            ..Default::default()
        };
        a.inherit(&b);
        assert_eq!(a.verbs, vec!["v1", "v2"]);
        assert_eq!(a.agents, vec!["mbox:mailto:a@b.c"]);
    }
}
