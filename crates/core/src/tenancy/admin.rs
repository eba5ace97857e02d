//! Admin operations on organisations, stores, clients and members, each checked against the
//! subject's role (see [`super::access`]), and cursor paging for every list.
use super::access::{Subject, needs};
use super::decide::TenancyCommand;
use super::model::*;
use super::secrets;
use super::service::{ClientSpec, NewSecret, TenancyService};
use crate::error::Error;
use crate::ids::StoreId;
use uuid::Uuid;

/// Paging and the filter every list shares. Items come in id order (creation order: ids are
/// UUIDv7); `after` is the last id of the previous page.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub after: Option<Uuid>,
    pub limit: usize,
    /// Case-insensitive substring of the name.
    pub name: Option<String>,
}

impl ListQuery {
    pub fn name_matches(&self, name: &str) -> bool {
        self.name
            .as_ref()
            .is_none_or(|n| name.to_lowercase().contains(&n.to_lowercase()))
    }
}

#[derive(Debug, Clone)]
pub struct Listed<T> {
    pub items: Vec<T>,
    /// The `after` of the next page, when there is one.
    pub next: Option<Uuid>,
}

/// One page of `items` (which must come in id order).
pub fn page<T>(items: impl Iterator<Item = (Uuid, T)>, q: &ListQuery) -> Listed<T> {
    let limit = q.limit.clamp(1, 1000);
    let mut out: Vec<(Uuid, T)> = items
        .filter(|(id, _)| q.after.is_none_or(|a| *id > a))
        .take(limit + 1)
        .collect();
    let next = if out.len() > limit {
        out.truncate(limit);
        out.last().map(|(id, _)| *id)
    } else {
        None
    };
    Listed {
        items: out.into_iter().map(|(_, t)| t).collect(),
        next,
    }
}

impl TenancyService {
    // ---- organisations ----

    pub fn organisations(
        &self,
        s: &Subject,
        q: &ListQuery,
        parent: Option<OrgId>,
    ) -> Listed<Organisation> {
        let snap = self.snapshot();
        let st = &snap.state;
        page(
            st.orgs
                .values()
                .filter(|o| s.role(st, o.id).is_some())
                .filter(|o| parent.is_none_or(|p| o.parent == Some(p)))
                .filter(|o| q.name_matches(&o.name))
                .map(|o| (o.id.0, o.clone())),
            q,
        )
    }

    pub fn organisation(&self, s: &Subject, id: OrgId) -> Result<Organisation, Error> {
        let snap = self.snapshot();
        s.require(&snap.state, id, needs::VIEW_ORG)?;
        snap.state.orgs.get(&id).cloned().ok_or(Error::NotFound)
    }

    /// Top-level organisations need a site administrator (`None`: the trusted CLI); nested ones
    /// an admin of the parent.
    pub async fn create_organisation(
        &self,
        s: Option<&Subject>,
        name: &str,
        parent: Option<OrgId>,
    ) -> Result<Organisation, Error> {
        if let Some(s) = s {
            self.may_place_under(s, parent)?;
        }
        let o = Organisation {
            id: OrgId::generate(),
            name: name.to_owned(),
            parent,
            created_us: 0,
            updated_us: 0,
        };
        self.apply(vec![TenancyCommand::Create(Entity::Organisation(
            o.clone(),
        ))])
        .await?;
        self.fresh(EntityRef::Organisation(o.id))
    }

    fn may_place_under(&self, s: &Subject, parent: Option<OrgId>) -> Result<(), Error> {
        match parent {
            None => s.require_site_admin(),
            Some(p) => s
                .require(&self.snapshot().state, p, needs::EDIT_ORG)
                .map(|_| ()),
        }
    }

    /// Renames or moves an organisation (`parent`: Some(None) makes it top-level).
    pub async fn update_organisation(
        &self,
        s: &Subject,
        id: OrgId,
        name: Option<String>,
        parent: Option<Option<OrgId>>,
    ) -> Result<Organisation, Error> {
        let mut o = self.organisation(s, id)?;
        s.require(&self.snapshot().state, id, needs::EDIT_ORG)?;
        if let Some(n) = name {
            o.name = n;
        }
        if let Some(p) = parent.filter(|p| *p != o.parent) {
            self.may_place_under(s, p)?;
            o.parent = p;
        }
        self.apply(vec![TenancyCommand::Update(Entity::Organisation(o))])
            .await?;
        self.fresh(EntityRef::Organisation(id))
    }

    pub async fn delete_organisation(&self, s: &Subject, id: OrgId) -> Result<(), Error> {
        s.require(&self.snapshot().state, id, needs::DELETE_ORG)?;
        self.apply(vec![TenancyCommand::Delete(EntityRef::Organisation(id))])
            .await
    }

    fn fresh<T: FromEntity>(&self, r: EntityRef) -> Result<T, Error> {
        self.snapshot()
            .state
            .get(r)
            .and_then(T::from_entity)
            .ok_or(Error::NotFound)
    }

    // ---- stores ----

    pub fn stores(&self, s: &Subject, q: &ListQuery, org: Option<OrgId>) -> Listed<Store> {
        let snap = self.snapshot();
        let st = &snap.state;
        page(
            st.stores
                .values()
                .filter(|x| org.is_none_or(|o| x.org == o))
                .filter(|x| s.role(st, x.org).is_some_and(|r| r >= needs::VIEW_STORE))
                .filter(|x| q.name_matches(&x.name))
                .map(|x| (x.id.0, x.clone())),
            q,
        )
    }

    /// The store, if the subject has at least `min` in its organisation.
    pub(crate) fn store_as(&self, s: &Subject, id: StoreId, min: Role) -> Result<Store, Error> {
        let snap = self.snapshot();
        let store = snap.state.stores.get(&id).ok_or(Error::NotFound)?;
        s.require(&snap.state, store.org, min)?;
        Ok(store.clone())
    }

    pub fn store(&self, s: &Subject, id: StoreId) -> Result<Store, Error> {
        self.store_as(s, id, needs::VIEW_STORE)
    }

    pub async fn create_store(
        &self,
        s: Option<&Subject>,
        org: OrgId,
        name: &str,
    ) -> Result<Store, Error> {
        if let Some(s) = s {
            s.require(&self.snapshot().state, org, needs::MANAGE_STORE)?;
        }
        let x = Store {
            id: StoreId(Uuid::now_v7()),
            org,
            name: name.to_owned(),
            created_us: 0,
            updated_us: 0,
            retention_months: None,
        };
        self.apply(vec![TenancyCommand::Create(Entity::Store(x.clone()))])
            .await?;
        self.fresh(EntityRef::Store(x.id))
    }

    /// Renames a store and/or changes its retention (`Some(None)`: keep forever); `None`
    /// leaves a field as it is.
    pub async fn update_store(
        &self,
        s: &Subject,
        id: StoreId,
        name: Option<String>,
        retention_months: Option<Option<u32>>,
    ) -> Result<Store, Error> {
        self.store(s, id)?;
        let mut x = self.store_as(s, id, needs::MANAGE_STORE)?;
        if let Some(name) = name {
            x.name = name;
        }
        if let Some(r) = retention_months {
            x.retention_months = r;
        }
        self.apply(vec![TenancyCommand::Update(Entity::Store(x))])
            .await?;
        self.fresh(EntityRef::Store(id))
    }

    /// Deletes a store and its clients. Its statements and documents stay in the log (nothing
    /// can reach them any more); erasing them is the archive/erasure tooling's job.
    pub async fn delete_store(&self, s: &Subject, id: StoreId) -> Result<(), Error> {
        self.store(s, id)?;
        self.store_as(s, id, needs::MANAGE_STORE)?;
        self.apply(vec![TenancyCommand::Delete(EntityRef::Store(id))])
            .await
    }

    // ---- clients ----

    pub fn clients(&self, s: &Subject, q: &ListQuery, store: Option<StoreId>) -> Listed<Client> {
        let snap = self.snapshot();
        let st = &snap.state;
        page(
            st.clients
                .values()
                .filter(|c| store.is_none_or(|x| c.store == x))
                .filter(|c| {
                    st.stores.get(&c.store).is_some_and(|x| {
                        s.role(st, x.org)
                            .is_some_and(|r| r >= needs::MANAGE_CLIENTS)
                    })
                })
                .filter(|c| q.name_matches(&c.name))
                .map(|c| (c.id.0, c.clone())),
            q,
        )
    }

    pub fn client(&self, s: &Subject, id: ClientId) -> Result<Client, Error> {
        let c = self
            .snapshot()
            .state
            .clients
            .get(&id)
            .cloned()
            .ok_or(Error::NotFound)?;
        self.store(s, c.store)?;
        self.store_as(s, c.store, needs::MANAGE_CLIENTS)?;
        Ok(c)
    }

    /// Creates a client; its secret is returned once and stored only hashed.
    pub async fn create_client(
        &self,
        s: Option<&Subject>,
        store: StoreId,
        spec: ClientSpec,
    ) -> Result<(Client, NewSecret), Error> {
        if let Some(s) = s {
            self.store(s, store)?;
            self.store_as(s, store, needs::MANAGE_CLIENTS)?;
        }
        if let Some(chosen) = &spec.secret {
            self.check_client_secret(chosen)?;
        }
        let key = spec.key.unwrap_or_else(secrets::generate_key);
        let secret = spec.secret.unwrap_or_else(secrets::generate_secret);
        let c = Client {
            id: ClientId::generate(),
            store,
            name: spec.name.unwrap_or_else(|| "client".into()),
            key: key.clone(),
            secret_hash: secrets::hash_secret(&secret),
            scopes: normalise(spec.scopes.unwrap_or_else(|| {
                vec![
                    Scope::StatementsWrite,
                    Scope::StatementsReadMine,
                    Scope::State,
                    Scope::Profile,
                ]
            })),
            disabled: spec.disabled.unwrap_or(false),
            created_us: 0,
            updated_us: 0,
        };
        self.apply(vec![TenancyCommand::Create(Entity::Client(c.clone()))])
            .await?;
        Ok((
            self.fresh(EntityRef::Client(c.id))?,
            NewSecret { key, secret },
        ))
    }

    pub async fn update_client(
        &self,
        s: &Subject,
        id: ClientId,
        spec: ClientSpec,
    ) -> Result<Client, Error> {
        let mut c = self.client(s, id)?;
        if let Some(n) = spec.name {
            c.name = n;
        }
        if let Some(sc) = spec.scopes {
            c.scopes = normalise(sc);
        }
        if let Some(d) = spec.disabled {
            c.disabled = d;
        }
        self.apply(vec![TenancyCommand::Update(Entity::Client(c))])
            .await?;
        self.fresh(EntityRef::Client(id))
    }

    /// A new secret for the client; the old one stops working at once.
    pub async fn rotate_client(
        &self,
        s: Option<&Subject>,
        id: ClientId,
    ) -> Result<(Client, NewSecret), Error> {
        let mut c = match s {
            Some(s) => self.client(s, id)?,
            None => self.fresh(EntityRef::Client(id))?,
        };
        let secret = secrets::generate_secret();
        c.secret_hash = secrets::hash_secret(&secret);
        let key = c.key.clone();
        self.apply(vec![TenancyCommand::Update(Entity::Client(c))])
            .await?;
        Ok((
            self.fresh(EntityRef::Client(id))?,
            NewSecret { key, secret },
        ))
    }

    pub async fn delete_client(&self, s: &Subject, id: ClientId) -> Result<(), Error> {
        self.client(s, id)?;
        self.apply(vec![TenancyCommand::Delete(EntityRef::Client(id))])
            .await
    }

    // ---- members ----

    pub fn members(
        &self,
        s: &Subject,
        org: OrgId,
        q: &ListQuery,
    ) -> Result<Listed<(Membership, User)>, Error> {
        let snap = self.snapshot();
        s.require(&snap.state, org, needs::VIEW_ORG)?;
        s.require(&snap.state, org, needs::MANAGE_MEMBERS)?;
        Ok(page(
            snap.state
                .members
                .values()
                .filter(|m| m.org == org)
                .filter_map(|m| {
                    let u = snap.state.users.get(&m.user)?;
                    Some((m.user.0, (m.clone(), u.clone())))
                }),
            q,
        ))
    }

    /// Gives the user with this email a role in an organisation, for administrators who do not
    /// see the list of users. The role is checked before the email is looked up, so only an
    /// administrator of the organisation learns whether an email has an account.
    pub async fn set_member_by_email(
        &self,
        s: &Subject,
        org: OrgId,
        email: &str,
        role: Role,
    ) -> Result<(Membership, User), Error> {
        let snap = self.snapshot();
        s.require(&snap.state, org, needs::MANAGE_MEMBERS)?;
        let email = email.trim();
        if email.is_empty() {
            return Err(Error::BadRequest("the email is empty".into()));
        }
        let user = snap.state.user_by_email(email).cloned().ok_or_else(|| {
            Error::BadRequest(format!(
                "no user has the email {email:?}: a site administrator creates users"
            ))
        })?;
        let m = self.set_member(Some(s), org, user.id, role).await?;
        Ok((m, user))
    }

    /// Gives a user a role in an organisation (owners only grant or change the owner role).
    pub async fn set_member(
        &self,
        s: Option<&Subject>,
        org: OrgId,
        user: UserId,
        role: Role,
    ) -> Result<Membership, Error> {
        let snap = self.snapshot();
        let existing = snap.state.members.get(&(org, user)).cloned();
        if let Some(s) = s {
            let mine = s.require(&snap.state, org, needs::MANAGE_MEMBERS)?;
            let touches_owner =
                role == Role::Owner || existing.as_ref().is_some_and(|m| m.role == Role::Owner);
            if touches_owner && mine < needs::MANAGE_OWNERS {
                return Err(Error::Forbidden(
                    "only an owner grants or changes the owner role".into(),
                ));
            }
        }
        let m = Membership {
            org,
            user,
            role,
            created_us: 0,
            updated_us: 0,
        };
        let cmd = if existing.is_some() {
            TenancyCommand::Update(Entity::Membership(m))
        } else {
            TenancyCommand::Create(Entity::Membership(m))
        };
        self.apply(vec![cmd]).await?;
        self.fresh(EntityRef::Membership(org, user))
    }

    pub async fn remove_member(&self, s: &Subject, org: OrgId, user: UserId) -> Result<(), Error> {
        let snap = self.snapshot();
        let mine = s.require(&snap.state, org, needs::MANAGE_MEMBERS)?;
        let m = snap
            .state
            .members
            .get(&(org, user))
            .ok_or(Error::NotFound)?;
        if m.role == Role::Owner && mine < needs::MANAGE_OWNERS {
            return Err(Error::Forbidden("only an owner removes an owner".into()));
        }
        self.apply(vec![TenancyCommand::Delete(EntityRef::Membership(
            org, user,
        ))])
        .await
    }
}

fn normalise(mut scopes: Vec<Scope>) -> Vec<Scope> {
    scopes.sort();
    scopes.dedup();
    scopes
}

/// Typed access to an [`Entity`] variant.
trait FromEntity: Sized {
    fn from_entity(e: Entity) -> Option<Self>;
}

macro_rules! from_entity {
    ($t:ty, $v:ident) => {
        impl FromEntity for $t {
            fn from_entity(e: Entity) -> Option<Self> {
                match e {
                    Entity::$v(x) => Some(x),
                    _ => None,
                }
            }
        }
    };
}
from_entity!(Organisation, Organisation);
from_entity!(Store, Store);
from_entity!(Client, Client);
from_entity!(Membership, Membership);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_the_cursor() {
        let ids: Vec<Uuid> = (0..5).map(|_| Uuid::now_v7()).collect();
        let q = ListQuery {
            limit: 2,
            ..Default::default()
        };
        let p1 = page(ids.iter().map(|i| (*i, *i)), &q);
        assert_eq!(p1.items, ids[..2]);
        let q2 = ListQuery {
            after: p1.next,
            ..q.clone()
        };
        let p2 = page(ids.iter().map(|i| (*i, *i)), &q2);
        assert_eq!(p2.items, ids[2..4]);
        let q3 = ListQuery {
            after: p2.next,
            ..q
        };
        let p3 = page(ids.iter().map(|i| (*i, *i)), &q3);
        assert_eq!(p3.items, ids[4..]);
        assert_eq!(p3.next, None);
    }
}
