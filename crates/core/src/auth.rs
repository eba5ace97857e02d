//! Who is calling the xAPI: credentials resolve to a principal holding a store, the client's
//! scopes and the authority the LRS writes into statements. The server authenticates against the
//! tenancy ([`crate::tenancy::TenancyService`]); [`StaticClients`] is a fixed table for tests.
use crate::ids::StoreId;
use crate::tenancy::Scope;
use cairn_xapi::Actor;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Principal {
    pub store: StoreId,
    /// The client's id (its entity id in the tenancy).
    pub client: Uuid,
    pub client_key: String,
    pub scopes: Vec<Scope>,
    pub authority: Actor,
}

/// What an xAPI request does, for scope checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XapiAction {
    ReadStatements,
    WriteStatements,
    ReadState,
    WriteState,
    ReadProfile,
    WriteProfile,
    /// `GET /activities` and `GET /agents`.
    ReadDefinitions,
}

/// How much of a store an allowed request sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    Full,
    /// Only statements whose authority is this client (`statements/read/mine`).
    Mine,
}

impl Principal {
    /// Whether the client's scopes allow the action, and how far.
    pub fn grant(&self, action: XapiAction) -> Option<Grant> {
        use Scope::*;
        let has = |s: &[Scope]| self.scopes.iter().any(|x| *x == All || s.contains(x));
        let full = match action {
            XapiAction::ReadStatements => has(&[StatementsRead, AllRead]),
            XapiAction::WriteStatements => has(&[StatementsWrite]),
            XapiAction::ReadState => has(&[State, AllRead]),
            XapiAction::WriteState => has(&[State]),
            XapiAction::ReadProfile => has(&[Profile, AllRead]),
            XapiAction::WriteProfile => has(&[Profile]),
            XapiAction::ReadDefinitions => has(&[Define, AllRead, StatementsRead]),
        };
        if full {
            Some(Grant::Full)
        } else if action == XapiAction::ReadStatements && has(&[StatementsReadMine]) {
            Some(Grant::Mine)
        } else {
            None
        }
    }

    /// The IFI key of the authority this client writes (what `statements/read/mine` matches).
    pub fn authority_key(&self) -> String {
        self.authority.ifi_key().unwrap_or_default()
    }
}

/// The authority the LRS writes for a client: an Agent identified by an account named by the key.
pub fn client_authority(key: &str, name: &str) -> Option<Actor> {
    let json = serde_json::json!({
        "objectType": "Agent",
        "name": name,
        "account": { "homePage": "https://cairn-lrs.org/clients", "name": key },
    })
    .to_string();
    cairn_xapi::parse_agent_param(&json, cairn_xapi::XapiVersion::V2_0_0).ok()
}

pub trait Authenticator: Send + Sync + 'static {
    /// The principal for Basic-auth credentials, or None when they are not valid.
    fn authenticate(&self, key: &str, secret: &str) -> Option<Principal>;
}

/// A fixed set of clients (the default store's client, configured at start-up).
pub struct StaticClients {
    clients: Vec<(String, String, Principal)>,
}

impl StaticClients {
    pub fn new() -> Self {
        StaticClients {
            clients: Vec::new(),
        }
    }

    /// Adds a client of `store`; its authority is an Agent identified by an account.
    pub fn with_client(mut self, store: StoreId, key: &str, secret: &str, name: &str) -> Self {
        let authority = client_authority(key, name).expect("a client authority is a valid agent");
        let principal = Principal {
            store,
            client: Uuid::new_v4(),
            client_key: key.to_owned(),
            scopes: vec![Scope::All],
            authority,
        };
        self.clients
            .push((key.to_owned(), secret.to_owned(), principal));
        self
    }
}

impl Default for StaticClients {
    fn default() -> Self {
        Self::new()
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Authenticator for StaticClients {
    fn authenticate(&self, key: &str, secret: &str) -> Option<Principal> {
        self.clients
            .iter()
            .find(|(k, s, _)| k == key && constant_time_eq(s.as_bytes(), secret.as_bytes()))
            .map(|(_, _, p)| p.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_matching_credentials_authenticate() {
        let c = StaticClients::new().with_client(StoreId::DEFAULT, "k", "s3cret", "default");
        let p = c.authenticate("k", "s3cret").expect("valid");
        assert_eq!(p.store, StoreId::DEFAULT);
        assert!(p.authority.ifi_key().unwrap().starts_with("account:"));
        assert!(c.authenticate("k", "wrong").is_none());
        assert!(c.authenticate("other", "s3cret").is_none());
    }

    #[test]
    fn scopes_grant_actions() {
        let mut p = StaticClients::new()
            .with_client(StoreId::DEFAULT, "k", "s", "c")
            .authenticate("k", "s")
            .unwrap();
        assert_eq!(p.grant(XapiAction::WriteState), Some(Grant::Full));
        p.scopes = vec![Scope::StatementsReadMine, Scope::StatementsWrite];
        assert_eq!(p.grant(XapiAction::ReadStatements), Some(Grant::Mine));
        assert_eq!(p.grant(XapiAction::WriteStatements), Some(Grant::Full));
        assert_eq!(p.grant(XapiAction::ReadState), None);
        p.scopes = vec![Scope::AllRead];
        assert_eq!(p.grant(XapiAction::ReadStatements), Some(Grant::Full));
        assert_eq!(p.grant(XapiAction::ReadProfile), Some(Grant::Full));
        assert_eq!(p.grant(XapiAction::WriteProfile), None);
        assert_eq!(p.grant(XapiAction::WriteStatements), None);
        p.scopes = vec![Scope::Define];
        assert_eq!(p.grant(XapiAction::ReadDefinitions), Some(Grant::Full));
        assert_eq!(p.grant(XapiAction::ReadStatements), None);
        assert!(p.authority_key().starts_with("account:"));
    }
}
