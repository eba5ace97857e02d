//! Purges: removing entries from the log for good (erasure of a person, store deletion, batch
//! delete, retention), with every index, document and projected row derived from them.
//!
//! A purge is planned first ([`PurgePlan`]: the log entries, documents, attachments and personas
//! to remove). It then runs in phases, each safe to repeat, so a purge interrupted at any point
//! (kill -9 included) is finished at the next start ([`run::Purger::resume`]):
//!
//! 1. **Begun**: a [`PurgeEvent`] is appended to the log, and the plan is kept in the `meta`
//!    keyspace under [`PENDING_KEY`], in the same fsynced batch.
//! 2. The projector catches up with the plan (the entries leave the in-memory tail).
//! 3. The projection deletes the rows derived from the entries while new batches go on
//!    ([`crate::ports::Projection::purge_rows`]), then rebuilds the aggregates of the hours and
//!    months they were in while the projector holds its batches back
//!    ([`crate::ports::Projection::purge_aggregates`]).
//! 4. The embedded store removes the entries, their indexes, the documents, attachments and
//!    personas, and counts a log rewrite ([`crate::ports::LOG_REWRITES_KEY`]), in one batch.
//! 5. The embedded store rewrites its files so the removed bytes leave the disk
//!    ([`crate::ports::LogStore::compact`]).
//! 6. **Finished**: a second [`PurgeEvent`] is appended and the pending plan removed, in one
//!    batch (then compacted again, so the plan's own bytes go too).
//!
//! The event records who, when, why, the scope, how many statements and the SHA-256 of each
//! identifier the purge was asked for: never the identifiers themselves nor any content of the
//! removed entries. (A SHA-256 of an email address can be matched against a guessed address;
//! that is how an operator can answer "was this person erased?", and it is all that is kept.)
pub mod erasure;
pub mod finish;
pub mod personas;
pub mod rewrite;
pub mod run;
pub mod service;
pub mod shared;

use crate::documents::DocumentKey;
use crate::ids::StoreId;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The format of [`PurgeEvent`] (besides the codec's record version).
pub const FORMAT_VERSION: u8 = 1;

/// The format of [`PurgePlan`]: version 2 added [`PurgePlan::persona_rewrites`] (version 1
/// plans are read by [`PurgePlan::decode`]).
pub const PLAN_FORMAT_VERSION: u8 = 2;

/// The `meta` key of the purge that has begun and not finished yet.
pub const PENDING_KEY: &str = "purge.pending";

/// Cluster mode: the `meta` key of the purge this node decided and has not yet appended the
/// Finished event of (its plan; empty once appended). Written on this node only, never through
/// the replicated log, so after a crash the node that decided a purge, and only that node,
/// appends its Finished event when it comes back.
pub const DECIDED_KEY: &str = "purge.decided";

/// Why entries are purged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PurgeReason {
    /// A person's data was erased.
    Erasure,
    /// A store was deleted.
    StoreDeletion,
    /// Statements matching a filter were deleted.
    BatchDelete,
    /// Statements older than the store's retention were archived and removed.
    Retention,
}

/// Which phase of a purge an event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PurgePhase {
    Begun,
    Finished,
}

/// What a purge covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PurgeScope {
    /// The listed log entries (and documents, attachments, personas) of these stores.
    Entries { stores: Vec<StoreId> },
    /// Everything of one store.
    Store(StoreId),
}

impl PurgeScope {
    pub fn stores(&self) -> Vec<StoreId> {
        match self {
            PurgeScope::Entries { stores } => stores.clone(),
            PurgeScope::Store(s) => vec![*s],
        }
    }
}

/// A purge in the log: what was removed, by whom, never the removed data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PurgeEvent {
    pub v: u8,
    /// The purge's id (the same in its Begun and Finished events).
    pub id: Uuid,
    pub at_us: i64,
    pub phase: PurgePhase,
    pub reason: PurgeReason,
    /// Who asked: the user's id, or `cli` for an operator's command.
    pub by: String,
    pub scope: PurgeScope,
    /// SHA-256 (hex) of each identifier the purge was asked for (see the module doc).
    pub identifiers: Vec<String>,
    /// How many statements it removes.
    pub statements: u64,
}

/// A statement voided by a purged statement, which is therefore voided no longer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unvoid {
    pub store: StoreId,
    pub id: Uuid,
    pub seq: u64,
}

/// Everything a purge removes. Kept (in `meta`, not in the log) while the purge runs, so it can
/// be finished after a crash; removed, and compacted away, when it is finished.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PurgePlan {
    pub v: u8,
    pub id: Uuid,
    pub reason: PurgeReason,
    pub by: String,
    pub scope: PurgeScope,
    /// The identifiers as asked (hashed into the event).
    pub identifiers: Vec<String>,
    /// Log entries to remove (statements, document and persona events), ascending.
    pub seqs: Vec<u64>,
    /// How many of `seqs` are statements.
    pub statements: u64,
    /// `(store, stored hour as epoch seconds)` of each removed statement, without duplicates:
    /// the aggregate hours (and months) the projection rebuilds.
    pub hours: Vec<(StoreId, u32)>,
    /// Statements the removed ones voided.
    pub unvoid: Vec<Unvoid>,
    pub documents: Vec<(StoreId, DocumentKey)>,
    /// `(store, sha2)` of attachment bodies no remaining statement refers to.
    pub attachments: Vec<(StoreId, String)>,
    pub personas: Vec<(StoreId, Uuid)>,
    /// The log's last sequence number when planned: the projector must have passed it before
    /// the entries are removed.
    pub until: u64,
    /// Persona events written in place of removed entries (see [`personas`]), ascending.
    pub persona_rewrites: Vec<(u64, crate::personas::PersonaEvent)>,
    /// The log position the persona history was read up to when planned.
    pub personas_after: u64,
    /// Persona events of the plan's stores appended after `personas_after`, read just before the
    /// removal (never stored): the stored personas must include their changes.
    #[serde(skip)]
    pub later_personas: Vec<crate::personas::PersonaEvent>,
}

impl PurgePlan {
    /// An empty plan of `reason` over `scope`, asked by `by`.
    pub fn new(reason: PurgeReason, by: impl Into<String>, scope: PurgeScope) -> Self {
        PurgePlan {
            v: PLAN_FORMAT_VERSION,
            id: Uuid::now_v7(),
            reason,
            by: by.into(),
            scope,
            identifiers: Vec::new(),
            seqs: Vec::new(),
            statements: 0,
            hours: Vec::new(),
            unvoid: Vec::new(),
            documents: Vec::new(),
            attachments: Vec::new(),
            personas: Vec::new(),
            until: 0,
            persona_rewrites: Vec::new(),
            personas_after: 0,
            later_personas: Vec::new(),
        }
    }

    /// Decodes a stored plan of any format version (a version-1 plan is a version-2 one
    /// without the trailing `persona_rewrites` and `personas_after`, then an empty list and 0:
    /// postcard writes each as one zero byte).
    pub fn decode(bytes: &[u8]) -> Result<Self, String> {
        crate::codec::decode(bytes).or_else(|e| {
            let mut v1 = bytes.to_vec();
            v1.extend([0, 0]);
            crate::codec::decode::<PurgePlan>(&v1)
                .ok()
                .filter(|p| p.v == 1)
                .ok_or(e)
        })
    }

    /// The affected personas ([`PurgePlan::personas`]) as the rewritten history builds them:
    /// the rewritten entries, then the persona events appended since the plan was made.
    pub fn rewritten_personas(&self) -> Vec<crate::personas::Persona> {
        let mut st = crate::personas::PersonaState::default();
        for (_, e) in &self.persona_rewrites {
            st.apply(e);
        }
        for e in &self.later_personas {
            st.apply(e);
        }
        self.personas
            .iter()
            .filter_map(|(store, id)| crate::personas::Lookup::persona(&st, *store, *id))
            .collect()
    }

    /// The log event of this plan in `phase`.
    pub fn event(&self, phase: PurgePhase, at_us: i64) -> PurgeEvent {
        PurgeEvent {
            v: FORMAT_VERSION,
            id: self.id,
            at_us,
            phase,
            reason: self.reason,
            by: self.by.clone(),
            scope: self.scope.clone(),
            identifiers: self
                .identifiers
                .iter()
                .map(|i| hash_identifier(i))
                .collect(),
            statements: self.statements,
        }
    }

    /// Sorts and deduplicates the lists (plans are built in any order).
    pub fn normalise(&mut self) {
        self.seqs.sort_unstable();
        self.seqs.dedup();
        self.hours.sort_unstable();
        self.hours.dedup();
        self.attachments.sort();
        self.attachments.dedup();
        self.personas.sort();
        self.personas.dedup();
        self.unvoid.sort_by_key(|u| u.seq);
        self.unvoid.dedup();
    }
}

/// The SHA-256 (lowercase hex) of an identifier, as recorded in a [`PurgeEvent`].
pub fn hash_identifier(identifier: &str) -> String {
    hex::encode(Sha256::digest(identifier.as_bytes()))
}

/// The `stored` hour of a statement, as epoch seconds (the projection's `stored_hour`).
pub fn hour_of(stored_us: i64) -> u32 {
    let secs = stored_us.div_euclid(1_000_000);
    (secs - secs.rem_euclid(3600)).clamp(0, u32::MAX as i64) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;
    use std::sync::Arc;

    fn event() -> Event {
        Event::Purge(Arc::new(PurgeEvent {
            v: FORMAT_VERSION,
            id: Uuid::from_u128(5),
            at_us: 1_700_000_000_000_000,
            phase: PurgePhase::Begun,
            reason: PurgeReason::Erasure,
            by: "u".into(),
            scope: PurgeScope::Entries {
                stores: vec![StoreId::DEFAULT],
            },
            identifiers: vec![hash_identifier("mbox:mailto:a@b")],
            statements: 3,
        }))
    }

    /// Frozen bytes of a purge event: a change that breaks this needs a new format version.
    /// (Variant 6 of `Event`, then the event: version, id, time, phase, reason, who, scope,
    /// identifier hashes, statements.)
    #[test]
    fn frozen_purge_event() {
        let frozen = "c1060110000000000000000000000000000000058080f28183898506000001750001100000000000000000000000000000000101403930666238373533616331626135313930306365626231653038633232613332626466373861356635653931623435633335393961373664343864663635363403";
        let e = event();
        assert_eq!(hex::encode(e.encode()), frozen);
        let back = Event::decode(&hex::decode(frozen).unwrap()).unwrap();
        assert_eq!(format!("{back:?}"), format!("{e:?}"));
        assert_eq!(back.at_us(), 1_700_000_000_000_000);
        assert_eq!(back.store(), None);
    }

    #[test]
    fn the_event_keeps_only_hashes() {
        let mut p = PurgePlan::new(
            PurgeReason::Erasure,
            "admin",
            PurgeScope::Store(StoreId::DEFAULT),
        );
        p.identifiers = vec!["mbox:mailto:secret@example.com".into()];
        let bytes = Event::Purge(Arc::new(p.event(PurgePhase::Finished, 1))).encode();
        assert!(!String::from_utf8_lossy(&bytes).contains("secret"));
        assert_eq!(
            p.event(PurgePhase::Begun, 1).identifiers,
            vec![hash_identifier("mbox:mailto:secret@example.com")]
        );
    }

    #[test]
    fn a_version_1_plan_still_decodes() {
        let mut p = PurgePlan::new(
            PurgeReason::Erasure,
            "admin",
            PurgeScope::Store(StoreId::DEFAULT),
        );
        p.v = 1;
        p.seqs = vec![4, 9];
        let mut bytes = crate::codec::encode(&p);
        // Version 1 had no `persona_rewrites` nor `personas_after` (the last two bytes).
        assert_eq!(bytes.split_off(bytes.len() - 2), vec![0, 0]);
        assert_eq!(PurgePlan::decode(&bytes).unwrap(), p);
        p.v = PLAN_FORMAT_VERSION;
        assert_eq!(PurgePlan::decode(&crate::codec::encode(&p)).unwrap(), p);
    }

    #[test]
    fn hours_are_utc_hour_starts() {
        assert_eq!(hour_of(0), 0);
        assert_eq!(hour_of(3_599_999_999), 0);
        assert_eq!(hour_of(3_600_000_000), 3600);
        assert_eq!(hour_of(1_700_000_123_000_000), 1_699_999_200);
    }
}
