//! Erasure of a person: the plan of a purge that removes, in the given stores, every statement
//! about any of the person's identifiers and every document kept for them.
//!
//! A statement is about the person when one of the identifiers is its actor or object (an agent,
//! or a member of a group), a context instructor or team (or team member), a 2.0 context agent
//! or group, or any of these inside a sub-statement: the `related_agents` of the xAPI filter
//! without the authority (the authority names the client that sent the statement, not what it
//! is about). Documents: agent profiles of the identifiers and state documents kept for them.
//! Attachments of the removed statements go too unless a remaining statement refers to them.
use super::{PurgePlan, PurgeReason, PurgeScope, Unvoid, hour_of};
use crate::error::Error;
use crate::event::{Event, StatementRecord};
use crate::ids::StoreId;
use crate::personas::PersonaEvent;
use crate::ports::LogStore;
use std::collections::HashSet;

/// Log entries read per chunk while planning.
const SCAN_CHUNK: usize = 10_000;

/// Whether `record` is about one of `identifiers` (IFI keys such as `mbox:mailto:a@b.c`).
pub fn is_about(record: &StatementRecord, identifiers: &[String]) -> bool {
    if !identifiers
        .iter()
        .any(|i| record.keys.related_agents.contains(i))
    {
        return false;
    }
    if identifiers.iter().any(|i| record.keys.agents.contains(i)) {
        return true;
    }
    // Named only among the related agents: unless it is only as the authority.
    match cairn_xapi::parse_stored_statement(&record.full_json()) {
        Ok(mut s) => {
            s.authority = None;
            let keys = cairn_xapi::index_keys(&s);
            identifiers.iter().any(|i| keys.related_agents.contains(i))
        }
        Err(_) => true,
    }
}

/// The purge erasing `identifiers` (and the `erased` personas) from `stores`: their statements
/// and documents, and the persona history rewritten without them ([`super::personas`]).
/// Refuses (400) a plan of more than `max_statements` statements: split the erasure, or raise
/// `purge_max_statements`.
pub fn plan(
    log: &dyn LogStore,
    stores: &[StoreId],
    identifiers: &[String],
    erased: &[(StoreId, uuid::Uuid)],
    by: &str,
    max_statements: u64,
) -> Result<PurgePlan, Error> {
    let mut plan = PurgePlan::new(
        PurgeReason::Erasure,
        by,
        PurgeScope::Entries {
            stores: stores.to_vec(),
        },
    );
    plan.identifiers = identifiers.to_vec();
    let personas = fill(
        log,
        &mut plan,
        max_statements,
        |r| is_about(r, identifiers),
        |agent| identifiers.iter().any(|i| i == agent),
    )?;
    super::personas::scrub(&mut plan, &personas, identifiers, erased);
    plan.normalise();
    Ok(plan)
}

/// Adds to `plan` (over its stores) the statements `statement` accepts, with their attachments
/// that no remaining statement refers to and the statements they voided, and the documents
/// of the agents `agent` accepts. Answers the persona events of its stores, ascending.
pub fn fill(
    log: &dyn LogStore,
    plan: &mut PurgePlan,
    max_statements: u64,
    statement: impl Fn(&StatementRecord) -> bool,
    agent: impl Fn(&str) -> bool,
) -> Result<Vec<(u64, PersonaEvent)>, Error> {
    let mut personas = Vec::new();
    let stores = plan.scope.stores();
    let mut purged_attachments = Vec::new();
    let mut kept_attachments = HashSet::new();
    let mut voided = Vec::new();
    let mut purged_ids = HashSet::new();
    let mut after = 0;
    loop {
        let chunk = log.events_after(after, SCAN_CHUNK)?;
        let Some((last, _)) = chunk.last() else { break };
        after = *last;
        for (seq, e) in chunk {
            match &e {
                Event::Statement(r) if stores.contains(&r.store) => {
                    if statement(r) {
                        plan.seqs.push(seq);
                        plan.statements += 1;
                        if plan.statements > max_statements {
                            return Err(Error::BadRequest(format!(
                                "this would remove more than {max_statements} statements \
                                 (purge_max_statements)"
                            )));
                        }
                        plan.hours.push((r.store, hour_of(r.stored_us)));
                        purged_ids.insert((r.store, r.id));
                        purged_attachments
                            .extend(r.attachments.iter().map(|a| (r.store, a.clone())));
                        if let Some(target) = r.voids {
                            voided.push((r.store, target));
                        }
                    } else {
                        kept_attachments.extend(r.attachments.iter().map(|a| (r.store, a.clone())));
                    }
                }
                Event::Document(d)
                    if stores.contains(&d.store)
                        && d.doc.key.agent.as_deref().is_some_and(&agent) =>
                {
                    plan.seqs.push(seq);
                    plan.documents.push((d.store, d.doc.key.clone()));
                }
                Event::Persona(p) if stores.contains(&p.store) => {
                    personas.push((seq, (**p).clone()));
                }
                _ => {}
            }
        }
    }
    plan.attachments = purged_attachments
        .into_iter()
        .filter(|a| !kept_attachments.contains(a))
        .collect();
    for (store, target) in voided {
        if purged_ids.contains(&(store, target)) {
            continue;
        }
        if let Some(seq) = log.statement_seq(store, target)? {
            plan.unvoid.push(Unvoid {
                store,
                id: target,
                seq,
            });
        }
    }
    let mut seen = HashSet::new();
    plan.documents.retain(|d| seen.insert(d.clone()));
    plan.normalise();
    plan.until = log.last_seq()?;
    plan.personas_after = after;
    Ok(personas)
}
