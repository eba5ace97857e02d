//! One group commit in preparation: forwarder requests, decided against the committed
//! forwarders plus the group's earlier changes.
use super::group::Group;
use super::*;
use crate::forwarding::model::FORMAT_VERSION;
use crate::forwarding::{ForwarderCommand, ForwarderEvent, ForwarderState, Forwarders, decide};

impl Group {
    /// Checks forwarder commands of one store (all or nothing) and adds their events and rows
    /// to the group.
    pub(super) fn plan_forwarders(
        &mut self,
        committed: &Forwarders,
        store: StoreId,
        commands: Vec<ForwarderCommand>,
    ) -> Result<(), Error> {
        let at_us = self.stored_us + 1;
        let mut scratch = match &self.forwarders {
            Some(s) => s.clone(),
            None => committed.read().clone(),
        };
        let mut changes = Vec::new();
        for cmd in commands {
            for change in decide(&scratch, store, committed.limits(), at_us, cmd)? {
                scratch.apply(&change);
                changes.push(change);
            }
        }
        if changes.is_empty() {
            return Ok(());
        }
        self.stored_us = at_us;
        self.forwarders = Some(scratch);
        for change in changes {
            self.ws.forwarders.push(ForwarderState::effects(&change));
            self.seq += 1;
            let event = Arc::new(ForwarderEvent {
                v: FORMAT_VERSION,
                store,
                at_us,
                change,
            });
            self.ws
                .events
                .push((self.seq, Arc::new(Event::Forwarder(event))));
        }
        Ok(())
    }
}

impl Group {
    /// Adds a purge's event and `meta` rows to the group (a purge phase is never refused; see
    /// `Writer::plan_purge` for a Finished event the log holds already), with the row
    /// recording a Finished event ([`crate::purge::finish::finished_key`]).
    pub(super) fn plan_purge(&mut self, w: PurgeWrite) {
        self.stored_us += 1;
        self.seq += 1;
        let mut event = w.event;
        event.at_us = self.stored_us;
        self.ws.meta.extend(w.meta);
        let marks = crate::purge::finish::marks([event.clone()], &self.ws.meta);
        self.ws.meta.extend(marks);
        self.ws
            .events
            .push((self.seq, Arc::new(Event::Purge(Arc::new(event)))));
    }
}
