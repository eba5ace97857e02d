//! Multi-tenancy: organisations (optionally nested) own stores, stores own clients (xAPI
//! credentials with scopes), users hold roles in organisations, and a site administrator manages
//! the installation.
//!
//! Every change is a [`TenancyEvent`] in the log, decided by the writer thread ([`decide`]) and
//! materialized in the embedded store in the same atomic commit. At start-up the materialized
//! rows are loaded into a [`Registry`] — the whole tenancy in memory — so authenticating an xAPI
//! request is a hash-map lookup and one SHA-256, never a disk read. The [`TenancyService`] is
//! what adapters call: authentication, sessions and tokens, and the admin operations, each
//! checked against the caller's roles ([`access`]).
pub mod access;
mod admin;
mod decide;
mod identity;
mod model;
pub mod secrets;
mod service;
mod setup;
pub mod state;

pub use access::Subject;
pub use admin::{ListQuery, Listed, page};
pub use decide::{TenancyCommand, decide};
pub use identity::{ExternalSignIn, NewUsers};
pub use model::*;
pub use service::{ClientSpec, NewSecret, SessionInfo, TenancyConfig, TenancyService, UserSpec};
pub use setup::SetupSpec;
pub use state::{Change, TenancyEvent, TenancyState};

use crate::auth::Principal;
use crate::event::Event;
use crate::ports::{LogStore, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// One published version of the tenancy, with the xAPI principals derived from it.
#[derive(Default)]
pub struct Snapshot {
    pub state: TenancyState,
    /// Enabled clients by key: (secret hash, principal).
    principals: HashMap<String, (Vec<u8>, Principal)>,
}

impl Snapshot {
    fn new(state: TenancyState) -> Self {
        let mut principals = HashMap::with_capacity(state.clients.len());
        for c in state.clients.values().filter(|c| !c.disabled) {
            let Some(authority) = crate::auth::client_authority(&c.key, &c.name) else {
                tracing::warn!(client = %c.id, "client has no valid authority; skipped");
                continue;
            };
            let p = Principal {
                store: c.store,
                client: c.id.0,
                client_key: c.key.clone(),
                scopes: c.scopes.clone(),
                authority,
            };
            principals.insert(c.key.clone(), (c.secret_hash.clone(), p));
        }
        Snapshot { state, principals }
    }

    /// The principal for Basic-auth credentials of an enabled client.
    pub fn authenticate(&self, key: &str, secret: &str) -> Option<Principal> {
        let (hash, p) = self.principals.get(key)?;
        secrets::verify_secret(hash, secret).then(|| p.clone())
    }
}

/// The current tenancy. Readers take the published snapshot; only the writer thread replaces it.
#[derive(Default)]
pub struct Registry {
    current: RwLock<Arc<Snapshot>>,
}

impl Registry {
    pub fn new(state: TenancyState) -> Self {
        Registry {
            current: RwLock::new(Arc::new(Snapshot::new(state))),
        }
    }

    /// Loads the materialized state from the embedded store.
    pub fn load(log: &dyn LogStore) -> Result<Self, StoreError> {
        let rows = log.entities()?;
        let state = TenancyState::from_rows(rows.iter().map(|(_, v)| v.as_slice()))
            .map_err(|e| StoreError(format!("tenancy row cannot be decoded: {e}")))?;
        Ok(Registry::new(state))
    }

    /// Rebuilds the state by replaying every tenancy event of the log (the materialized rows
    /// must always equal this).
    pub fn replay(log: &dyn LogStore) -> Result<TenancyState, StoreError> {
        let mut state = TenancyState::default();
        let mut after = 0;
        loop {
            let batch = log.events_after(after, 10_000)?;
            let Some((last, _)) = batch.last() else { break };
            after = *last;
            for (_, e) in batch {
                if let Event::Tenancy(t) = e {
                    state.apply(&t.change);
                }
            }
        }
        Ok(state)
    }

    pub fn current(&self) -> Arc<Snapshot> {
        self.current.read().expect("registry lock").clone()
    }

    pub(crate) fn replace(&self, state: TenancyState) {
        let snap = Arc::new(Snapshot::new(state));
        *self.current.write().expect("registry lock") = snap;
    }
}
