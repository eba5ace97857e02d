//! Cluster mode: who appends a purge's Finished event, and that it is appended exactly once.
//!
//! The node that decided a purge appends its Finished event once its own part is done
//! ([`super::DECIDED_KEY`]). Every other node, once its own part is done, remembers the event
//! in its local [`AWAITING_KEY`] row; a node that has not seen the event in the log
//! `purge_finish_takeover_ms` after its own part was done appends it itself (the deciding node
//! may never come back). The event's message carries the `meta` row [`finished_key`] of the
//! purge, so every node that applies it records that the purge has its event; the writer decides
//! each Finished write against that row and the rest of its group ([`write`]), and a decision
//! made behind the log is refused by the log and made again once caught up. So of the decider
//! coming back late and several nodes taking over at once, exactly one appends.
use super::{PurgeEvent, PurgePhase};
use std::time::Duration;
use uuid::Uuid;

/// Prefix of the `meta` row recording that a purge's Finished event is in the log (its value:
/// the event, which names no identifier, only their hashes).
pub const FINISHED_PREFIX: &str = "purge.finished.";

/// The local `meta` row listing the Finished events this node waits for (this node's part of
/// the purge is done; another node decided it). Never sent through the log.
pub const AWAITING_KEY: &str = "purge.awaiting";

/// The `meta` key recording that purge `id` has its Finished event.
pub fn finished_key(id: Uuid) -> String {
    format!("{FINISHED_PREFIX}{id}")
}

/// The `meta` rows a write set must carry for its Finished events (those it lacks).
pub fn marks(
    events: impl IntoIterator<Item = PurgeEvent>,
    meta: &[(String, Option<Vec<u8>>)],
) -> Vec<(String, Option<Vec<u8>>)> {
    let mut out: Vec<(String, Option<Vec<u8>>)> = Vec::new();
    for e in events {
        if e.phase != PurgePhase::Finished {
            continue;
        }
        let key = finished_key(e.id);
        if meta.iter().chain(&out).any(|(k, _)| *k == key) {
            continue;
        }
        out.push((key, Some(crate::codec::encode(&e))));
    }
    out
}

/// What the writer does with a Finished write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// Append the event (and its [`finished_key`] row).
    Append,
    /// The purge has its event already: nothing is appended, and the write succeeds.
    Skip,
}

/// The writer's rule: a purge gets one Finished event. `committed`: this node's store holds the
/// purge's [`finished_key`] row (the whole log up to the group's decision point); `in_group`:
/// an earlier request of the same group appends it.
pub fn write(committed: bool, in_group: bool) -> Write {
    if committed || in_group {
        Write::Skip
    } else {
        Write::Append
    }
}

/// What a node whose part of a purge is done does about its Finished event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finishing {
    /// The log has it: forget the purge.
    Recorded,
    /// Append it now (the writer still skips it if it is there by then).
    Append,
    /// Look again after this long.
    Wait(Duration),
}

/// The takeover rule. `recorded`: the node has applied the purge's Finished event;
/// `decided_here`: this node decided the purge; `waited`: time since this node's part was done.
pub fn decide(
    recorded: bool,
    decided_here: bool,
    waited: Duration,
    takeover: Duration,
) -> Finishing {
    if recorded {
        Finishing::Recorded
    } else if decided_here || waited >= takeover {
        Finishing::Append
    } else {
        Finishing::Wait(takeover - waited)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::StoreId;
    use crate::purge::{PurgePlan, PurgeReason, PurgeScope};

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn one_event_per_purge_whatever_the_group_and_the_log_hold() {
        assert_eq!(write(false, false), Write::Append);
        assert_eq!(write(true, false), Write::Skip);
        assert_eq!(write(false, true), Write::Skip);
        assert_eq!(write(true, true), Write::Skip);
    }

    #[test]
    fn the_decider_appends_at_once_the_others_after_the_takeover_delay() {
        let zero = Duration::ZERO;
        assert_eq!(decide(false, true, zero, MIN), Finishing::Append);
        assert_eq!(
            decide(false, false, Duration::from_secs(15), MIN),
            Finishing::Wait(Duration::from_secs(45))
        );
        assert_eq!(decide(false, false, MIN, MIN), Finishing::Append);
        assert_eq!(decide(false, false, 2 * MIN, MIN), Finishing::Append);
        // Once the log has it, nobody appends, the decider coming back late included.
        assert_eq!(decide(true, true, zero, MIN), Finishing::Recorded);
        assert_eq!(decide(true, false, 2 * MIN, MIN), Finishing::Recorded);
    }

    #[test]
    fn a_write_set_carries_one_mark_per_finished_purge() {
        let plan = PurgePlan::new(
            PurgeReason::Erasure,
            "u",
            PurgeScope::Store(StoreId::DEFAULT),
        );
        let finished = plan.event(PurgePhase::Finished, 1);
        let begun = plan.event(PurgePhase::Begun, 1);
        let rows = marks([begun.clone(), finished.clone(), finished.clone()], &[]);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0, finished_key(plan.id));
        let back: PurgeEvent = crate::codec::decode(rows[0].1.as_deref().unwrap()).unwrap();
        assert_eq!(back, finished);
        assert!(marks([finished], &rows).is_empty(), "already carried");
        assert!(marks([begun], &[]).is_empty());
    }
}
