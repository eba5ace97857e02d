//! Personas: a persona groups any number of agent identifiers (mbox, mbox_sha1sum, openid,
//! account) of one store under a name and attributes. Statements are never rewritten: every
//! change is a [`PersonaEvent`] in the log, decided by the writer thread ([`decide`]) and
//! materialized in the embedded store; the projection keeps an identifier → persona table that
//! analytics join at read time, so a merge changes every aggregate at once, and the Agents
//! resource answers a persona's whole Person object. An identifier no persona holds is its own
//! implicit persona, whose id is the identifier's IFI key.
mod decide;
mod import;
pub mod model;
mod service;

pub use decide::{Delta, MAX_NAME_CHARS, Overlay, PersonaCommand, decide};
pub use import::{ImportMessage, ImportProgress, ImportReport, RowError};
pub use model::{
    IDENTIFIER_KINDS, Lookup, Persona, PersonaChange, PersonaEvent, PersonaState, identifier_json,
    ifi_of, person_of,
};
pub use service::{PersonaService, PersonaServiceConfig, PersonaView};

use crate::event::Event;
use crate::ports::{LogStore, StoreError};
use std::sync::{RwLock, RwLockReadGuard};

/// The personas of every store, in memory. Readers take the read lock briefly; only the writer
/// thread applies committed changes.
#[derive(Default)]
pub struct Personas {
    state: RwLock<PersonaState>,
}

impl Personas {
    pub fn new(state: PersonaState) -> Self {
        Personas {
            state: RwLock::new(state),
        }
    }

    /// Loads the materialized personas from the embedded store.
    pub fn load(log: &dyn LogStore) -> Result<Self, StoreError> {
        let mut all = Vec::new();
        for bytes in log.personas()? {
            let p: Persona = crate::codec::decode(&bytes)
                .map_err(|e| StoreError(format!("persona row cannot be decoded: {e}")))?;
            all.push(p);
        }
        Ok(Personas::new(PersonaState::from_personas(all)))
    }

    /// Rebuilds the state by replaying every persona event of the log (the materialized rows
    /// must always equal this).
    pub fn replay(log: &dyn LogStore) -> Result<PersonaState, StoreError> {
        let mut state = PersonaState::default();
        let mut after = 0;
        loop {
            let batch = log.events_after(after, 10_000)?;
            let Some((last, _)) = batch.last() else { break };
            after = *last;
            for (_, e) in batch {
                if let Event::Persona(p) = e {
                    state.apply(&p);
                }
            }
        }
        Ok(state)
    }

    pub fn read(&self) -> RwLockReadGuard<'_, PersonaState> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    /// After a purge rewrote persona history: `removed` personas leave the state, then
    /// `rewritten` ones are put back as they are now stored.
    pub fn purged(&self, removed: &[(crate::ids::StoreId, uuid::Uuid)], rewritten: Vec<Persona>) {
        let mut st = self.state.write().unwrap_or_else(|e| e.into_inner());
        for (store, id) in removed {
            st.put(*id, None, Some(*store));
        }
        for p in rewritten {
            st.put(p.id, Some(p), None);
        }
    }

    /// Applies committed changes (the writer thread, after the commit is durable).
    pub(crate) fn apply(&self, events: &[std::sync::Arc<PersonaEvent>]) {
        let mut st = self.state.write().unwrap_or_else(|e| e.into_inner());
        for e in events {
            st.apply(e);
        }
    }
}

/// Encodes a persona for the embedded store.
pub fn encode(p: &Persona) -> Vec<u8> {
    crate::codec::encode(p)
}

#[cfg(test)]
mod tests;
