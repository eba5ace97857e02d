//! Cluster mode: purges go through the replicated log like every other write. The message
//! that begins a purge carries its plan (the `meta` row [`PENDING_KEY`]), so every node that
//! applies it holds the same plan at the same point of the log and finishes it on its own store
//! ([`crate::purge::run::Purger::resume`], woken by [`WriterHandle::purges_begun`]). Each node
//! then removes its own pending plan ([`WriterHandle::purge_done`]), never another node's.
//! A purge gets one Finished event: one the log holds is skipped ([`Writer::plan_purge`]).
//!
//! One purge at a time per node: a node still finishing a purge does not apply the message
//! that begins the next one (its writes are answered `503` meanwhile), and does not decide
//! one. So the plan in a node's `meta` is never replaced before that node has finished it.
use super::*;
use crate::ports::StoreError;
use crate::purge::finish::{self, finished_key};
use crate::purge::rewrite::THROUGH_META;
use crate::purge::{PENDING_KEY, PurgePhase, PurgePlan};

impl WriterHandle {
    /// Cluster mode: this node has finished purge `id` on its own store; its pending plan is
    /// removed from this node's `meta` (nothing is appended to the replicated log).
    pub async fn purge_done(&self, id: Uuid) -> Result<u64, Error> {
        self.send(WriteRequest::PurgeDone(id)).await
    }

    /// Cluster mode: notified with the log position of each purge another node began; this
    /// node finishes it on its own store.
    pub fn purges_begun(&self) -> watch::Receiver<u64> {
        self.shared.purges.subscribe()
    }
}

impl Writer {
    /// The last replicated-log message applied, and the last log position a redacted message
    /// applied covered (0 when none).
    pub(super) fn replicated_position(&self) -> Result<(u64, u64), StoreError> {
        let applied = crate::replicated::applied(&*self.log)?;
        let through = self
            .log
            .meta_get(THROUGH_META)?
            .and_then(|v| v.try_into().ok())
            .map_or(0, u64::from_be_bytes);
        Ok((applied, through))
    }

    /// The plan of the purge this node's store holds as pending, if any.
    fn pending_purge(&self) -> Result<Option<PurgePlan>, StoreError> {
        self.log
            .meta_get(PENDING_KEY)?
            .map(|v| PurgePlan::decode(&v).map_err(StoreError))
            .transpose()
    }

    /// Removes this node's pending plan if it is purge `id` (a later plan is left alone).
    pub(super) fn purge_done(&self, id: Uuid) -> Result<(), Error> {
        if self.pending_purge()?.is_some_and(|p| p.id == id) {
            self.log.commit(&WriteSet {
                meta: vec![(PENDING_KEY.into(), None)],
                ..WriteSet::default()
            })?;
        }
        Ok(())
    }

    /// Checks a purge's phase against the committed state plus the group and, when it is to be
    /// written, adds it to the group. A Finished event of a purge that has one already (in the
    /// committed log or earlier in this group) is skipped: nothing is appended and the write
    /// succeeds ([`crate::purge::finish::write`]). In cluster mode the committed state is the
    /// whole log up to the decision point, and a decision made behind the log is refused by the
    /// log and made again once caught up, so a purge gets exactly one.
    pub(super) fn plan_purge(&self, g: &mut Group, w: PurgeWrite) -> Result<(), Error> {
        if w.event.phase == PurgePhase::Finished {
            let key = finished_key(w.event.id);
            let committed = self.log.meta_get(&key)?.is_some();
            let in_group = g.ws.meta.iter().any(|(k, _)| *k == key);
            if crate::purge::finish::write(committed, in_group) == finish::Write::Skip {
                return Ok(());
            }
        }
        g.plan_purge(w);
        Ok(())
    }

    /// A purge this node begins: refused while it still finishes another one.
    pub(super) fn may_begin(&self, w: &PurgeWrite) -> Result<(), Error> {
        if w.event.phase != PurgePhase::Begun {
            return Ok(());
        }
        match self.pending_purge()? {
            Some(p) if p.id != w.event.id => Err(Error::Unavailable(
                "this node is still finishing an earlier purge; try again shortly".into(),
            )),
            _ => Ok(()),
        }
    }

    /// Whether a message of the replicated log may be applied now: one that begins a purge
    /// waits while this node still holds another purge's plan.
    pub(super) fn may_apply(&self, ws: &WriteSet) -> Result<bool, StoreError> {
        let Some(plan) = planned(ws) else {
            return Ok(true);
        };
        let incoming = PurgePlan::decode(plan).map_err(StoreError)?;
        Ok(match self.pending_purge()? {
            Some(p) => p.id == incoming.id,
            None => true,
        })
    }
}

/// The plan a write set stores as pending (the message that begins a purge).
fn planned(ws: &WriteSet) -> Option<&[u8]> {
    ws.meta
        .iter()
        .find(|(k, _)| k == PENDING_KEY)
        .and_then(|(_, v)| v.as_deref())
}

/// The rows recording the Finished events of a message of the log that lacks them (one
/// appended before they existed): every node then knows those purges have their event.
pub(super) fn mark_finished(ws: &mut WriteSet) {
    let events = ws.events.iter().filter_map(|(_, e)| match &**e {
        Event::Purge(p) => Some((**p).clone()),
        _ => None,
    });
    let marks = finish::marks(events, &ws.meta);
    ws.meta.extend(marks);
}

/// Whether a write set begins a purge.
pub(super) fn begins_purge(ws: &WriteSet) -> bool {
    ws.events
        .iter()
        .any(|(_, e)| matches!(&**e, Event::Purge(p) if p.phase == PurgePhase::Begun))
}

/// The last log position a redacted message covered ([`THROUGH_META`]), if `meta` says.
pub(super) fn through(meta: &[(String, Option<Vec<u8>>)]) -> Option<u64> {
    meta.iter()
        .find(|(k, _)| k == THROUGH_META)
        .and_then(|(_, v)| v.as_deref())
        .and_then(|v| v.try_into().ok())
        .map(u64::from_be_bytes)
}
