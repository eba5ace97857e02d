//! Dashboards: analysts' saved views of a store (a time range, a time zone, a filter and a grid
//! of widgets, each a chart over one query), the share links that publish them, and the store's
//! saved filters ([`saved_filters`]). Every change
//! is a [`DashboardEvent`] in the log, decided by the writer thread ([`decide`]) against the
//! committed state plus its group, and materialized in the embedded store (loaded at start-up).
//! [`plan`] turns a widget's query into the query the analytics port answers; [`shared`] checks
//! what a share link lets an anonymous reader see.
mod decide;
mod links;
pub mod model;
pub mod plan;
mod saved_filters;
mod service;
pub mod shared;
pub mod templates;

pub use decide::{
    DashboardCommand, DashboardLimits, DashboardPatch, LinkPatch, WidgetPatch, decide, text_ok,
};
pub use links::{LinkEdit, NewLink, SharedView};
pub use model::{
    Dashboard, DashboardChange, DashboardEvent, DashboardState, LayoutItem, Preset, Record,
    SavedFilter, ShareLink, TimeRange, UrlFilter, Visibility, WIDGET_TYPES, Widget,
};
pub use plan::{time_range_from_json, time_range_json};
pub use saved_filters::{FilterCommand, FilterEdit, NewFilter};
pub use service::{DashboardEdit, DashboardService, NewDashboard, NewWidget, WidgetEdit, context};

use crate::event::Event;
use crate::ports::{LogStore, StoreError};
use std::sync::{Arc, RwLock, RwLockReadGuard};

/// The dashboards of every store, in memory. Readers take the read lock briefly; only the
/// writer thread applies committed changes.
#[derive(Default)]
pub struct Dashboards {
    state: RwLock<DashboardState>,
    limits: DashboardLimits,
}

impl Dashboards {
    pub fn new(state: DashboardState, limits: DashboardLimits) -> Self {
        Dashboards {
            state: RwLock::new(state),
            limits,
        }
    }

    /// Loads the materialized rows from the embedded store.
    pub fn load(log: &dyn LogStore, limits: DashboardLimits) -> Result<Self, StoreError> {
        let mut all = Vec::new();
        for (_, bytes) in log.dashboards()? {
            all.push(Record::decode(&bytes).map_err(StoreError)?);
        }
        Ok(Dashboards::new(DashboardState::from_records(all), limits))
    }

    /// Rebuilds the state by replaying every dashboard event of the log (the materialized rows
    /// must always equal this).
    pub fn replay(log: &dyn LogStore) -> Result<DashboardState, StoreError> {
        let mut state = DashboardState::default();
        let mut after = 0;
        loop {
            let batch = log.events_after(after, 10_000)?;
            let Some((last, _)) = batch.last() else { break };
            after = *last;
            for (_, e) in batch {
                if let Event::Dashboard(d) = e {
                    state.apply(&d.change);
                }
            }
        }
        Ok(state)
    }

    pub fn read(&self) -> RwLockReadGuard<'_, DashboardState> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn limits(&self) -> &DashboardLimits {
        &self.limits
    }

    /// Publishes the state a committed group leaves (the writer thread, after the commit).
    pub(crate) fn replace(&self, state: DashboardState) {
        *self.state.write().unwrap_or_else(|e| e.into_inner()) = state;
    }

    /// Reads the state again from the materialized rows (cluster mode: after another node's
    /// changes were applied to the store).
    pub(crate) fn reload(&self, log: &dyn LogStore) -> Result<(), StoreError> {
        let fresh = Self::load(log, self.limits.clone())?;
        let state = std::mem::take(&mut *fresh.state.write().unwrap_or_else(|e| e.into_inner()));
        self.replace(state);
        Ok(())
    }
}

/// Committed dashboard events, for the writer's bookkeeping.
pub type Events = Vec<Arc<DashboardEvent>>;

#[cfg(test)]
mod tests;

/// Checks a filter found at `pointer` of a request: its size against `limits` (`400` naming
/// the bound), then its form.
pub(crate) fn filter_ok(
    f: &serde_json::Value,
    limits: &cairn_filter::Limits,
    pointer: &str,
) -> Result<(), crate::error::Error> {
    cairn_filter::Filter::parse_within(f, limits)
        .map(|_| ())
        .map_err(|e| {
            crate::error::Error::BadRequest(format!("{pointer}{}: {}", e.pointer, e.message))
        })
}
