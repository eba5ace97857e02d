//! The persona part of an erasure: the persona history is rewritten so that no persona event
//! names an erased identifier or an erased persona, while replaying the log still builds the
//! stored personas (the rule of [`crate::personas::Personas::replay`]).
//!
//! The personas *affected* are the erased personas, the personas that list or ever listed an
//! erased identifier, and every persona that shared a merge or a split with an affected one.
//! Every persona event of an affected persona is removed from the log. Each affected persona that
//! remains (not erased, not deleted) is written back as one `Created` event carrying its current
//! name, attributes and identifiers without the erased ones, in place of one of the removed
//! entries (the one that last changed it, so it stays after every remaining event naming its
//! identifiers). Its creation time becomes the time of that entry. Personas that never met an
//! affected one keep their whole history.
use super::PurgePlan;
use crate::ids::StoreId;
use crate::personas::{PersonaChange, PersonaEvent, PersonaState};
use std::collections::{BTreeMap, HashSet};
use uuid::Uuid;

/// The personas a change concerns.
fn ids(change: &PersonaChange) -> Vec<Uuid> {
    match change {
        PersonaChange::Created { id, .. }
        | PersonaChange::Renamed { id, .. }
        | PersonaChange::AttributesReplaced { id, .. }
        | PersonaChange::IdentifierAdded { id, .. }
        | PersonaChange::IdentifierRemoved { id, .. }
        | PersonaChange::Deleted { id, .. } => vec![*id],
        PersonaChange::Merged { from, into, .. } => vec![*from, *into],
        PersonaChange::Split { from, id, .. } => vec![*from, *id],
    }
}

/// Adds to `plan` the removal or rewrite of the persona events (`events`: every persona event
/// of the plan's stores, ascending) that name one of `identifiers` or one of `erased` personas,
/// and the affected personas to take out of the stored personas (`plan.personas`).
pub fn scrub(
    plan: &mut PurgePlan,
    events: &[(u64, PersonaEvent)],
    identifiers: &[String],
    erased: &[(StoreId, Uuid)],
) {
    let mut state = PersonaState::default();
    let mut affected: HashSet<(StoreId, Uuid)> = erased.iter().copied().collect();
    for (_, e) in events {
        state.apply(e);
        if e.change
            .links()
            .iter()
            .any(|(i, _)| identifiers.iter().any(|x| x == i))
        {
            affected.extend(ids(&e.change).into_iter().map(|id| (e.store, id)));
        }
    }
    loop {
        let before = affected.len();
        for (_, e) in events {
            let these = ids(&e.change);
            if these.iter().any(|id| affected.contains(&(e.store, *id))) {
                affected.extend(these.into_iter().map(|id| (e.store, id)));
            }
        }
        if affected.len() == before {
            break;
        }
    }
    // Removed entries, and the last one that changed each affected persona.
    let mut removed = Vec::new();
    let mut last: BTreeMap<(StoreId, Uuid), (u64, i64)> = BTreeMap::new();
    for (seq, e) in events {
        let these = ids(&e.change);
        if these.iter().any(|id| affected.contains(&(e.store, *id))) {
            removed.push(*seq);
            for id in these {
                last.insert((e.store, id), (*seq, e.at_us));
            }
        }
    }
    let at: BTreeMap<u64, i64> = events.iter().map(|(s, e)| (*s, e.at_us)).collect();
    let mut free: Vec<u64> = removed.clone();
    let mut survivors: Vec<_> = affected
        .iter()
        .filter(|k| !erased.contains(k))
        .filter_map(|(store, id)| {
            let p = crate::personas::Lookup::persona(&state, *store, *id)?;
            Some((last.get(&(*store, *id)).copied().unwrap_or((0, 0)).0, p))
        })
        .collect();
    // Latest first: each takes the entry that last changed it, or the latest one still free.
    survivors.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.id.cmp(&b.1.id)));
    for (want, p) in survivors {
        let seq = match free.iter().position(|s| *s == want) {
            Some(i) => free.remove(i),
            None => match free.pop() {
                Some(s) => s,
                None => continue,
            },
        };
        let mut identifiers_left = p.identifiers.clone();
        identifiers_left.retain(|i| !identifiers.contains(i));
        plan.persona_rewrites.push((
            seq,
            PersonaEvent {
                store: p.store,
                at_us: at.get(&seq).copied().unwrap_or(p.updated_us),
                change: PersonaChange::Created {
                    id: p.id,
                    name: p.name.clone(),
                    attributes: p.attributes.clone(),
                    identifiers: identifiers_left,
                },
            },
        ));
    }
    plan.persona_rewrites.sort_by_key(|(s, _)| *s);
    plan.seqs.extend(removed);
    plan.personas.extend(affected);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::purge::{PurgeReason, PurgeScope};
    use std::collections::BTreeMap;

    const S: StoreId = StoreId::DEFAULT;

    fn ev(at: i64, change: PersonaChange) -> PersonaEvent {
        PersonaEvent {
            store: S,
            at_us: at,
            change,
        }
    }

    fn created(id: u128, ids: &[&str]) -> PersonaChange {
        PersonaChange::Created {
            id: Uuid::from_u128(id),
            name: format!("p{id}"),
            attributes: BTreeMap::new(),
            identifiers: ids.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn plan() -> PurgePlan {
        PurgePlan::new(
            PurgeReason::Erasure,
            "t",
            PurgeScope::Entries { stores: vec![S] },
        )
    }

    /// The state the log builds once the plan is applied to it.
    fn replay_after(events: &[(u64, PersonaEvent)], plan: &PurgePlan) -> PersonaState {
        let mut st = PersonaState::default();
        for (seq, e) in events {
            if let Some((_, r)) = plan.persona_rewrites.iter().find(|(s, _)| s == seq) {
                st.apply(r);
            } else if !plan.seqs.contains(seq) {
                st.apply(e);
            }
        }
        st
    }

    fn history() -> Vec<(u64, PersonaEvent)> {
        vec![
            (1, ev(10, created(1, &["mbox:a", "mbox:b"]))),
            (2, ev(20, created(2, &["mbox:c"]))),
            (3, ev(30, created(3, &["mbox:d"]))),
            (
                4,
                ev(
                    40,
                    PersonaChange::Merged {
                        from: Uuid::from_u128(3),
                        into: Uuid::from_u128(1),
                        moved: vec!["mbox:d".into()],
                    },
                ),
            ),
            (
                5,
                ev(
                    50,
                    PersonaChange::Renamed {
                        id: Uuid::from_u128(2),
                        name: "c".into(),
                    },
                ),
            ),
        ]
    }

    #[test]
    fn an_agent_leaves_its_persona_and_the_rest_replays() {
        let events = history();
        let mut p = plan();
        scrub(&mut p, &events, &["mbox:a".into()], &[]);
        assert_eq!(p.seqs, vec![1, 3, 4]);
        assert_eq!(p.persona_rewrites.len(), 1);
        assert_eq!(p.persona_rewrites[0].0, 4);
        let st = replay_after(&events, &p);
        let one = crate::personas::Lookup::persona(&st, S, Uuid::from_u128(1)).unwrap();
        assert_eq!(one.identifiers, vec!["mbox:b", "mbox:d"]);
        assert_eq!(one.name, "p1");
        assert!(crate::personas::Lookup::persona(&st, S, Uuid::from_u128(3)).is_none());
        let two = crate::personas::Lookup::persona(&st, S, Uuid::from_u128(2)).unwrap();
        assert_eq!(two.name, "c");
        assert_eq!(
            two.updated_us, 50,
            "an unaffected persona keeps its history"
        );
        for (seq, _) in &p.persona_rewrites {
            assert!(p.seqs.contains(seq));
        }
        let bytes = format!("{:?}", p.persona_rewrites);
        assert!(!bytes.contains("mbox:a"));
    }

    #[test]
    fn an_erased_persona_is_gone_with_its_events() {
        let events = history();
        let mut p = plan();
        let ids: Vec<String> = vec!["mbox:a".into(), "mbox:b".into(), "mbox:d".into()];
        scrub(&mut p, &events, &ids, &[(S, Uuid::from_u128(1))]);
        assert_eq!(p.seqs, vec![1, 3, 4]);
        assert!(p.persona_rewrites.is_empty());
        let st = replay_after(&events, &p);
        assert!(crate::personas::Lookup::persona(&st, S, Uuid::from_u128(1)).is_none());
        assert_eq!(st.len(), 1);
        assert!(p.personas.contains(&(S, Uuid::from_u128(1))));
    }

    #[test]
    fn a_split_keeps_both_sides_in_distinct_entries() {
        let events = vec![
            (1, ev(10, created(1, &["mbox:a", "mbox:b", "mbox:c"]))),
            (
                2,
                ev(
                    20,
                    PersonaChange::Split {
                        from: Uuid::from_u128(1),
                        id: Uuid::from_u128(2),
                        name: "two".into(),
                        moved: vec!["mbox:c".into()],
                    },
                ),
            ),
        ];
        let mut p = plan();
        scrub(&mut p, &events, &["mbox:a".into()], &[]);
        assert_eq!(p.persona_rewrites.len(), 2);
        let st = replay_after(&events, &p);
        let one = crate::personas::Lookup::persona(&st, S, Uuid::from_u128(1)).unwrap();
        let two = crate::personas::Lookup::persona(&st, S, Uuid::from_u128(2)).unwrap();
        assert_eq!(one.identifiers, vec!["mbox:b"]);
        assert_eq!(two.identifiers, vec!["mbox:c"]);
        assert_eq!(two.name, "two");
    }

    #[test]
    fn changes_made_while_the_erasure_runs_are_kept() {
        let events = history();
        let mut p = plan();
        scrub(&mut p, &events, &["mbox:a".into()], &[]);
        p.later_personas = vec![ev(
            60,
            PersonaChange::Renamed {
                id: Uuid::from_u128(1),
                name: "renamed".into(),
            },
        )];
        let kept = p.rewritten_personas();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].name, "renamed");
        assert_eq!(kept[0].identifiers, vec!["mbox:b", "mbox:d"]);
        // The log replays to the same: the rewritten history, then the later event.
        let mut st = replay_after(&events, &p);
        st.apply(&p.later_personas[0]);
        assert_eq!(
            crate::personas::Lookup::persona(&st, S, Uuid::from_u128(1)).as_ref(),
            Some(&kept[0])
        );
    }
}
