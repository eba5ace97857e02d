//! One group commit in preparation: dashboard requests, decided against the committed
//! dashboards plus the group's earlier changes.
use super::group::Group;
use super::*;
use crate::dashboards::model::FORMAT_VERSION;
use crate::dashboards::{DashboardCommand, DashboardEvent, Dashboards, decide};

impl Group {
    /// Checks dashboard commands of one store (all or nothing) and adds their events and rows
    /// to the group.
    pub(super) fn plan_dashboards(
        &mut self,
        committed: &Dashboards,
        store: StoreId,
        commands: Vec<DashboardCommand>,
    ) -> Result<(), Error> {
        let at_us = self.stored_us + 1;
        let mut scratch = match &self.dashboards {
            Some(s) => s.clone(),
            None => committed.read().clone(),
        };
        let mut changes = Vec::new();
        let mut rows = Vec::new();
        for cmd in commands {
            for change in decide(&scratch, store, committed.limits(), at_us, cmd)? {
                for (key, record) in scratch.effects(&change) {
                    rows.push((key, record.map(|r| r.encode())));
                }
                scratch.apply(&change);
                changes.push(change);
            }
        }
        if changes.is_empty() {
            return Ok(());
        }
        self.stored_us = at_us;
        self.dashboards = Some(scratch);
        self.ws.dashboards.extend(rows);
        for change in changes {
            self.seq += 1;
            let event = Arc::new(DashboardEvent {
                v: FORMAT_VERSION,
                store,
                at_us,
                change,
            });
            self.ws
                .events
                .push((self.seq, Arc::new(Event::Dashboard(event))));
        }
        Ok(())
    }
}
