//! Cluster mode: the replicated log must not keep what a purge removed either, or a node
//! replaying it from the start (a new node) would get the removed data back.
//!
//! [`redact`] is pure: the write set of one message without what `plan` removes (the log
//! entries, their id index rows, documents, attachments, personas; for a whole store, every
//! row of the store), and, in the message that began this purge, the plan without the
//! identifiers and document keys it was asked for. A redacted message names the log
//! positions the original covered ([`crate::replicated::CONTINUES_META`] and [`THROUGH_META`]),
//! so a node applying it keeps the same positions as one that applied the original.
//!
//! [`rewrite`] walks the replicated log up to the message that began the purge and replaces
//! every message that [`redact`] changes ([`ReplicatedLog::replace`]: a redacted copy first,
//! then the original erased). Each step can be repeated: a message already replaced reads as
//! its copy, which [`redact`] leaves alone. Every node runs it before finishing the purge, so
//! the rewrite is finished by any node that finishes the purge, after a crash too.
use super::{PENDING_KEY, PurgePhase, PurgePlan, PurgeScope};
use crate::event::Event;
use crate::ports::{StoreError, WriteSet};
use crate::replicated::{CONTINUES_META, ReplicatedLog, decode_group, encode_group};
use std::collections::HashSet;
use std::sync::Arc;

/// The `meta` row of a redacted message: the last log position (big-endian u64) the original
/// message covered. A node that applies the message continues its log from there; kept in the
/// node's `meta` so that it does after a restart too.
pub const THROUGH_META: &str = "replicated.through";

/// Messages read at once while rewriting.
const READ_BATCH: usize = 256;
/// Times one message's replacement is tried when other nodes replace it at the same moment.
const REPLACE_TRIES: usize = 8;

/// The write set `ws` without what `plan` removes; `None` when `plan` removes nothing of it.
pub fn redact(ws: &WriteSet, plan: &PurgePlan) -> Option<WriteSet> {
    let seqs: HashSet<u64> = plan.seqs.iter().copied().collect();
    let store = match plan.scope {
        PurgeScope::Store(s) => Some(s),
        PurgeScope::Entries { .. } => None,
    };
    let gone = |seq: u64, e: &Event| match store {
        Some(s) => e.store() == Some(s),
        None => seqs.contains(&seq),
    };
    let in_store = |s: crate::StoreId| store == Some(s);
    let mut out = WriteSet::default();
    let mut changed = false;
    for (seq, e) in &ws.events {
        if let Some((_, p)) = plan.persona_rewrites.iter().find(|(s, _)| s == seq) {
            out.events
                .push((*seq, Arc::new(Event::Persona(Arc::new(p.clone())))));
            changed = true;
        } else if gone(*seq, e) {
            changed = true;
        } else {
            out.events.push((*seq, e.clone()));
        }
    }
    let mut keep = |kept: bool| {
        changed |= !kept;
        kept
    };
    out.statement_ids = ws
        .statement_ids
        .iter()
        .filter(|(s, _, seq)| keep(!in_store(*s) && (store.is_some() || !seqs.contains(seq))))
        .copied()
        .collect();
    out.voided = ws
        .voided
        .iter()
        .filter(|(s, id, seq)| {
            keep(
                !in_store(*s)
                    && !seqs.contains(seq)
                    && !plan.unvoid.iter().any(|u| u.store == *s && u.id == *id),
            )
        })
        .copied()
        .collect();
    out.attachments = ws
        .attachments
        .iter()
        .filter(|(s, sha, _)| {
            keep(!in_store(*s) && !plan.attachments.iter().any(|(ps, p)| ps == s && p == sha))
        })
        .cloned()
        .collect();
    out.documents = ws
        .documents
        .iter()
        .filter(|(s, k, _)| {
            keep(!in_store(*s) && !plan.documents.iter().any(|(ps, pk)| ps == s && pk == k))
        })
        .cloned()
        .collect();
    out.activities = ws
        .activities
        .iter()
        .filter(|(s, _, _)| keep(!in_store(*s)))
        .cloned()
        .collect();
    out.personas = ws
        .personas
        .iter()
        .filter(|(s, id, _)| keep(!in_store(*s) && !plan.personas.contains(&(*s, *id))))
        .cloned()
        .collect();
    out.meta = ws
        .meta
        .iter()
        .map(|(k, v)| match v {
            Some(bytes) if k == PENDING_KEY => {
                let mut p = PurgePlan::decode(bytes).ok()?;
                if p.id == plan.id && (!p.identifiers.is_empty() || !p.documents.is_empty()) {
                    p.identifiers.clear();
                    p.documents.clear();
                    changed = true;
                    Some((k.clone(), Some(crate::codec::encode(&p))))
                } else {
                    Some((k.clone(), v.clone()))
                }
            }
            _ => Some((k.clone(), v.clone())),
        })
        .collect::<Option<Vec<_>>>()
        .unwrap_or_else(|| ws.meta.clone());
    if !changed {
        return None;
    }
    out.entities = ws.entities.clone();
    out.dashboards = ws.dashboards.clone();
    out.forwarders = ws.forwarders.clone();
    out.audit = ws.audit.clone();
    // The positions the original covered: a node applying the copy continues from the same
    // position as one that applied the original, holes and all.
    if let (Some((first, _)), Some((last, _))) = (ws.events.first(), ws.events.last()) {
        if !out.meta.iter().any(|(k, _)| k == CONTINUES_META) {
            let from = first - 1;
            out.meta
                .push((CONTINUES_META.into(), Some(from.to_be_bytes().to_vec())));
        }
        if !out.meta.iter().any(|(k, _)| k == THROUGH_META) {
            out.meta
                .push((THROUGH_META.into(), Some(last.to_be_bytes().to_vec())));
        }
    }
    Some(out)
}

/// Whether `ws` is the message that began `plan`.
fn begins(ws: &WriteSet, plan: &PurgePlan) -> bool {
    ws.events.iter().any(
        |(_, e)| matches!(&**e, Event::Purge(p) if p.id == plan.id && p.phase == PurgePhase::Begun),
    )
}

/// Replaces every message of `log` up to the one that began `plan` that still holds what
/// `plan` removes (blocking; see the module doc). Answers how many messages it replaced.
pub fn rewrite(log: &dyn ReplicatedLog, plan: &PurgePlan) -> Result<u64, StoreError> {
    let mut after = 0;
    let mut replaced = 0;
    loop {
        let batch = log.read_after(after, READ_BATCH)?;
        if batch.is_empty() {
            return Ok(replaced);
        }
        for (at, payload) in batch {
            after = at;
            let mut payload = payload;
            for attempt in 0.. {
                if payload.is_empty() {
                    break;
                }
                let ws = decode_group(&payload)?;
                let Some(copy) = redact(&ws, plan) else {
                    if begins(&ws, plan) {
                        return Ok(replaced);
                    }
                    break;
                };
                if log.replace(at, encode_group(&copy))? {
                    replaced += 1;
                    if begins(&ws, plan) {
                        return Ok(replaced);
                    }
                    break;
                }
                // Another node replaced it at the same moment: read it again.
                if attempt + 1 >= REPLACE_TRIES {
                    return Err(StoreError(format!(
                        "replicated log message {at} keeps being replaced by other nodes"
                    )));
                }
                payload = log
                    .read_after(at - 1, 1)?
                    .into_iter()
                    .next()
                    .map(|(_, p)| p)
                    .unwrap_or_default();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::StatementRecord;
    use crate::ids::StoreId;
    use crate::purge::{PurgeReason, PurgeScope};
    use crate::replicated::continues;
    use uuid::Uuid;

    fn statement(store: StoreId, id: u128, body: &str) -> Arc<Event> {
        Arc::new(Event::Statement(Arc::new(StatementRecord {
            store,
            id: Uuid::from_u128(id),
            stored_us: 0,
            keys: Default::default(),
            voids: None,
            attachments: Vec::new(),
            body: body.as_bytes().to_vec(),
            facts: None,
        })))
    }

    /// A message of three statements at positions 10–12, of which 11 and 12 are A's.
    fn message() -> WriteSet {
        let s = StoreId::DEFAULT;
        WriteSet {
            events: vec![
                (10, statement(s, 1, "bob")),
                (11, statement(s, 2, "alice")),
                (12, statement(s, 3, "alice")),
            ],
            statement_ids: vec![
                (s, Uuid::from_u128(1), 10),
                (s, Uuid::from_u128(2), 11),
                (s, Uuid::from_u128(3), 12),
            ],
            ..WriteSet::default()
        }
    }

    fn erasing(seqs: Vec<u64>) -> PurgePlan {
        let mut p = PurgePlan::new(
            PurgeReason::Erasure,
            "admin",
            PurgeScope::Entries {
                stores: vec![StoreId::DEFAULT],
            },
        );
        p.seqs = seqs;
        p
    }

    #[test]
    fn a_copy_keeps_everything_else_at_the_same_positions() {
        let copy = redact(&message(), &erasing(vec![11, 12])).unwrap();
        assert_eq!(copy.events.len(), 1);
        assert_eq!(copy.events[0].0, 10);
        assert_eq!(
            copy.statement_ids,
            vec![(StoreId::DEFAULT, Uuid::from_u128(1), 10)]
        );
        assert!(!format!("{copy:?}").contains("alice"));
        // It continues the log where the original did, and the log goes on after 12.
        assert!(continues(&copy, 9).is_ok());
        assert!(continues(&copy, 8).is_err());
        let through = copy.meta.iter().find(|(k, _)| k == THROUGH_META).unwrap();
        assert_eq!(through.1.as_deref(), Some(&12u64.to_be_bytes()[..]));
        // A copy is left alone by the same plan, so a rewrite can be repeated.
        assert!(redact(&copy, &erasing(vec![11, 12])).is_none());
    }

    #[test]
    fn a_message_the_plan_does_not_touch_is_not_replaced() {
        assert!(redact(&message(), &erasing(vec![3, 4])).is_none());
    }

    #[test]
    fn a_message_whose_entries_all_go_still_names_its_positions() {
        let copy = redact(&message(), &erasing(vec![10, 11, 12])).unwrap();
        assert!(copy.events.is_empty() && copy.statement_ids.is_empty());
        assert!(copy.meta.iter().any(|(k, _)| k == THROUGH_META));
        let whole = PurgePlan::new(
            PurgeReason::StoreDeletion,
            "admin",
            PurgeScope::Store(StoreId::DEFAULT),
        );
        assert!(redact(&message(), &whole).unwrap().events.is_empty());
    }

    #[test]
    fn the_message_that_began_the_purge_loses_the_identifiers() {
        let mut plan = erasing(vec![11]);
        plan.identifiers = vec!["mbox::mailto:alice@example.com".into()];
        let ws = WriteSet {
            events: vec![(
                13,
                Arc::new(Event::Purge(Arc::new(plan.event(PurgePhase::Begun, 1)))),
            )],
            meta: vec![(PENDING_KEY.into(), Some(crate::codec::encode(&plan)))],
            ..WriteSet::default()
        };
        let copy = redact(&ws, &plan).unwrap();
        assert!(begins(&copy, &plan));
        let kept = PurgePlan::decode(copy.meta[0].1.as_deref().unwrap()).unwrap();
        assert!(kept.identifiers.is_empty());
        assert_eq!(kept.seqs, vec![11]);
        assert!(!String::from_utf8_lossy(&crate::codec::encode(&copy)).contains("alice"));
    }
}
