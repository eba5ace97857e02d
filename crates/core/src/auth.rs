//! Who is calling: credentials resolve to a principal holding a store and the authority the LRS
//! writes into statements. The tenancy issue replaces the static table with stored entities.
use crate::ids::StoreId;
use cairn_xapi::Actor;

#[derive(Debug, Clone)]
pub struct Principal {
    pub store: StoreId,
    pub client_key: String,
    pub authority: Actor,
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
        let json = serde_json::json!({
            "objectType": "Agent",
            "name": name,
            "account": { "homePage": "https://cairn-lrs.org/clients", "name": key },
        })
        .to_string();
        let authority = cairn_xapi::parse_agent_param(&json, cairn_xapi::XapiVersion::V2_0_0)
            .expect("a client authority is a valid agent");
        let principal = Principal {
            store,
            client_key: key.to_owned(),
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
}
