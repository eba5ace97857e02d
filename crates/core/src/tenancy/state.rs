//! The materialized tenancy state: every entity in memory, rebuilt at start-up from the embedded
//! store (or by replaying the log), changed only by applying [`TenancyEvent`]s. Small — hundreds
//! of stores, thousands of clients — so authentication never touches disk.
use super::model::*;
use crate::ids::StoreId;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// One change to the tenancy, as appended to the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenancyEvent {
    /// When the writer committed it (epoch µs).
    pub at_us: i64,
    pub change: Change,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    /// The entity's new version (created or updated).
    Put(Entity),
    Delete(EntityRef),
}

impl Change {
    /// The materialized-state row this change writes: key, and the encoded entity (None: delete).
    pub fn row(&self) -> (Vec<u8>, Option<Vec<u8>>) {
        match self {
            Change::Put(e) => (e.reference().key(), Some(crate::codec::encode(e))),
            Change::Delete(r) => (r.key(), None),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct TenancyState {
    pub orgs: BTreeMap<OrgId, Organisation>,
    pub stores: BTreeMap<StoreId, Store>,
    pub clients: BTreeMap<ClientId, Client>,
    pub users: BTreeMap<UserId, User>,
    pub members: BTreeMap<(OrgId, UserId), Membership>,
    pub tokens: BTreeMap<TokenId, ApiToken>,
    pub identities: BTreeMap<IdentityId, Identity>,
    /// The set-up link, while the installation waits for its site administrator.
    pub setup: Option<SetupLink>,
    client_keys: HashMap<String, ClientId>,
    emails: HashMap<String, UserId>,
}

impl TenancyState {
    /// Rebuilds the state from materialized rows (values as written by [`Change::row`]).
    pub fn from_rows<'a>(rows: impl IntoIterator<Item = &'a [u8]>) -> Result<Self, String> {
        let mut s = TenancyState::default();
        for v in rows {
            let e: Entity = crate::codec::decode(v)?;
            s.apply(&Change::Put(e));
        }
        Ok(s)
    }

    pub fn apply(&mut self, change: &Change) {
        match change {
            Change::Put(e) => self.put(e.clone()),
            Change::Delete(r) => self.delete(*r),
        }
    }

    fn put(&mut self, e: Entity) {
        match e {
            Entity::Organisation(o) => {
                self.orgs.insert(o.id, o);
            }
            Entity::Store(s) => {
                self.stores.insert(s.id, s);
            }
            Entity::Client(c) => {
                if let Some(old) = self.clients.get(&c.id) {
                    self.client_keys.remove(&old.key);
                }
                self.client_keys.insert(c.key.clone(), c.id);
                self.clients.insert(c.id, c);
            }
            Entity::User(u) => {
                if let Some(old) = self.users.get(&u.id) {
                    self.emails.remove(&old.email);
                }
                self.emails.insert(u.email.clone(), u.id);
                self.users.insert(u.id, u);
            }
            Entity::Membership(m) => {
                self.members.insert((m.org, m.user), m);
            }
            Entity::Token(t) => {
                self.tokens.insert(t.id, t);
            }
            Entity::Identity(i) => {
                self.identities.insert(i.id, i);
            }
            Entity::Setup(l) => self.setup = Some(l),
        }
    }

    fn delete(&mut self, r: EntityRef) {
        match r {
            EntityRef::Organisation(id) => {
                self.orgs.remove(&id);
            }
            EntityRef::Store(id) => {
                self.stores.remove(&id);
            }
            EntityRef::Client(id) => {
                if let Some(c) = self.clients.remove(&id) {
                    self.client_keys.remove(&c.key);
                }
            }
            EntityRef::User(id) => {
                if let Some(u) = self.users.remove(&id) {
                    self.emails.remove(&u.email);
                }
            }
            EntityRef::Membership(o, u) => {
                self.members.remove(&(o, u));
            }
            EntityRef::Token(id) => {
                self.tokens.remove(&id);
            }
            EntityRef::Identity(id) => {
                self.identities.remove(&id);
            }
            EntityRef::Setup => self.setup = None,
        }
    }

    pub fn get(&self, r: EntityRef) -> Option<Entity> {
        match r {
            EntityRef::Organisation(id) => self.orgs.get(&id).cloned().map(Entity::Organisation),
            EntityRef::Store(id) => self.stores.get(&id).cloned().map(Entity::Store),
            EntityRef::Client(id) => self.clients.get(&id).cloned().map(Entity::Client),
            EntityRef::User(id) => self.users.get(&id).cloned().map(Entity::User),
            EntityRef::Membership(o, u) => {
                self.members.get(&(o, u)).cloned().map(Entity::Membership)
            }
            EntityRef::Token(id) => self.tokens.get(&id).cloned().map(Entity::Token),
            EntityRef::Identity(id) => self.identities.get(&id).cloned().map(Entity::Identity),
            EntityRef::Setup => self.setup.clone().map(Entity::Setup),
        }
    }

    pub fn exists(&self, r: EntityRef) -> bool {
        match r {
            EntityRef::Organisation(id) => self.orgs.contains_key(&id),
            EntityRef::Store(id) => self.stores.contains_key(&id),
            EntityRef::Client(id) => self.clients.contains_key(&id),
            EntityRef::User(id) => self.users.contains_key(&id),
            EntityRef::Membership(o, u) => self.members.contains_key(&(o, u)),
            EntityRef::Token(id) => self.tokens.contains_key(&id),
            EntityRef::Identity(id) => self.identities.contains_key(&id),
            EntityRef::Setup => self.setup.is_some(),
        }
    }

    pub fn client_by_key(&self, key: &str) -> Option<&Client> {
        self.client_keys
            .get(key)
            .and_then(|id| self.clients.get(id))
    }

    pub fn user_by_email(&self, email: &str) -> Option<&User> {
        self.emails
            .get(&email.to_ascii_lowercase())
            .and_then(|id| self.users.get(id))
    }

    /// Whether an enabled site administrator exists (else the installation needs its first).
    pub fn has_site_admin(&self) -> bool {
        self.users.values().any(|u| u.site_admin && !u.disabled)
    }

    /// The organisation and its ancestors, nearest first (cycles are refused on write; the walk
    /// is bounded anyway).
    pub fn ancestry(&self, org: OrgId) -> Vec<OrgId> {
        let mut out = Vec::new();
        let mut cur = Some(org);
        while let Some(id) = cur {
            if out.contains(&id) || out.len() > 64 {
                break;
            }
            out.push(id);
            cur = self.orgs.get(&id).and_then(|o| o.parent);
        }
        out
    }

    /// The user's strongest role in the organisation, counting roles held in its ancestors.
    pub fn role_in(&self, user: UserId, org: OrgId) -> Option<Role> {
        self.ancestry(org)
            .into_iter()
            .filter_map(|o| self.members.get(&(o, user)).map(|m| m.role))
            .max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn org(id: OrgId, parent: Option<OrgId>) -> Entity {
        Entity::Organisation(Organisation {
            id,
            name: "o".into(),
            parent,
            created_us: 0,
            updated_us: 0,
        })
    }

    #[test]
    fn roles_inherit_down_the_tree_and_rows_rebuild_the_state() {
        let (a, b, c) = (OrgId::generate(), OrgId::generate(), OrgId::generate());
        let u = UserId(Uuid::now_v7());
        let mut s = TenancyState::default();
        let changes = vec![
            Change::Put(org(a, None)),
            Change::Put(org(b, Some(a))),
            Change::Put(org(c, None)),
            Change::Put(Entity::Membership(Membership {
                org: a,
                user: u,
                role: Role::Analyst,
                created_us: 0,
                updated_us: 0,
            })),
            Change::Put(Entity::Membership(Membership {
                org: b,
                user: u,
                role: Role::Admin,
                created_us: 0,
                updated_us: 0,
            })),
        ];
        let mut rows = BTreeMap::new();
        for ch in &changes {
            s.apply(ch);
            let (k, v) = ch.row();
            rows.insert(k, v.unwrap());
        }
        assert_eq!(s.role_in(u, a), Some(Role::Analyst));
        assert_eq!(s.role_in(u, b), Some(Role::Admin));
        assert_eq!(s.role_in(u, c), None);
        let rebuilt = TenancyState::from_rows(rows.values().map(|v| v.as_slice())).unwrap();
        assert_eq!(rebuilt, s);
        s.apply(&Change::Delete(EntityRef::Membership(b, u)));
        assert_eq!(s.role_in(u, b), Some(Role::Analyst));
    }
}
