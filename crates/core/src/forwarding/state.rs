//! The forwarders in memory (published by the writer after each commit, loaded from the
//! `forwarders` keyspace at start-up, rebuilt from the log by [`Forwarders::replay`]), and each
//! forwarder's delivery status as its task reports it.
use super::decide::ForwardingLimits;
pub use super::model::LastError;
use super::model::{ForwarderState, Health, decode, health_key};
use crate::event::Event;
use crate::ports::{LogStore, StoreError};
use std::sync::{Mutex, RwLock, RwLockReadGuard};
use uuid::Uuid;

#[derive(Default)]
pub struct Forwarders {
    state: RwLock<ForwarderState>,
    limits: ForwardingLimits,
}

impl Forwarders {
    pub fn new(state: ForwarderState, limits: ForwardingLimits) -> Self {
        Forwarders {
            state: RwLock::new(state),
            limits,
        }
    }

    /// Loads the materialized rows from the embedded store.
    pub fn load(log: &dyn LogStore, limits: ForwardingLimits) -> Result<Self, StoreError> {
        let mut st = ForwarderState::default();
        for (_, bytes) in log.forwarders()? {
            let f = decode(&bytes).map_err(StoreError)?;
            st.by_id.insert(f.id, f);
        }
        Ok(Forwarders::new(st, limits))
    }

    /// Rebuilds the state by replaying every forwarder event of the log (the materialized rows
    /// must always equal this).
    pub fn replay(log: &dyn LogStore) -> Result<ForwarderState, StoreError> {
        let mut state = ForwarderState::default();
        let mut after = 0;
        loop {
            let batch = log.events_after(after, 10_000)?;
            let Some((last, _)) = batch.last() else { break };
            after = *last;
            for (_, e) in batch {
                if let Event::Forwarder(f) = e {
                    state.apply(&f.change);
                }
            }
        }
        Ok(state)
    }

    pub fn read(&self) -> RwLockReadGuard<'_, ForwarderState> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn limits(&self) -> &ForwardingLimits {
        &self.limits
    }

    /// Publishes the state a committed group leaves (the writer thread, after the commit).
    pub(crate) fn replace(&self, state: ForwarderState) {
        *self.state.write().unwrap_or_else(|e| e.into_inner()) = state;
    }

    /// Reads the state again from the materialized rows (cluster mode: after another node's
    /// changes were applied to the store).
    pub(crate) fn reload(&self, log: &dyn LogStore) -> Result<(), StoreError> {
        let fresh = Self::load(log, self.limits)?;
        let state = std::mem::take(&mut *fresh.state.write().unwrap_or_else(|e| e.into_inner()));
        self.replace(state);
        Ok(())
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatusData {
    /// Every statement at or below this log position was acknowledged or dead-lettered.
    pub cursor: u64,
    pub last_success_us: Option<i64>,
    pub last_error: Option<LastError>,
    pub consecutive_failures: u32,
    pub dead_letters: u64,
    /// Statements acknowledged since the server started.
    pub delivered: u64,
}

impl StatusData {
    /// The part kept across restarts.
    pub fn health(&self) -> Health {
        Health {
            last_success_us: self.last_success_us,
            last_error: self.last_error.clone(),
            consecutive_failures: self.consecutive_failures,
        }
    }

    /// Takes back what a previous run kept.
    pub fn restore(&mut self, h: Health) {
        self.last_success_us = h.last_success_us;
        self.last_error = h.last_error;
        self.consecutive_failures = h.consecutive_failures;
    }
}

/// A forwarder's status, shared by its task and the API.
#[derive(Debug, Default)]
pub struct Status {
    data: Mutex<StatusData>,
    /// Held across a durable change, so that the stored health follows the order of changes.
    writing: Mutex<()>,
}

impl Status {
    pub fn snapshot(&self) -> StatusData {
        self.data.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Changes what only lives in memory (or what another durable write already recorded).
    pub fn update(&self, f: impl FnOnce(&mut StatusData)) {
        f(&mut self.data.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Changes the status and writes its health, with `rows`, in one durable write; the change
    /// is seen only once written. Blocking: call it off the async workers.
    pub fn change_durably(
        &self,
        log: &dyn LogStore,
        forwarder: Uuid,
        rows: Vec<(Vec<u8>, Option<Vec<u8>>)>,
        f: impl Fn(&mut StatusData),
    ) -> Result<(), StoreError> {
        self.change(log, forwarder, rows, true, f)
    }

    /// Like [`Self::change_durably`], but forced to disk only when `sync` (otherwise the write
    /// survives the process crashing, not the machine).
    pub fn change(
        &self,
        log: &dyn LogStore,
        forwarder: Uuid,
        mut rows: Vec<(Vec<u8>, Option<Vec<u8>>)>,
        sync: bool,
        f: impl Fn(&mut StatusData),
    ) -> Result<(), StoreError> {
        let _w = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        let mut next = self.snapshot();
        f(&mut next);
        rows.push((
            health_key(forwarder),
            Some(crate::codec::encode(&next.health())),
        ));
        if sync {
            log.forwarding_write(&rows)?;
        } else {
            log.forwarding_write_buffered(&rows)?;
        }
        self.update(f);
        Ok(())
    }
}
