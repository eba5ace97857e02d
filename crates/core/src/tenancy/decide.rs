//! The tenancy's write rules, as a pure function of the current state and a command. The writer
//! thread runs it against the committed state plus the earlier changes of its group, so checks
//! such as "this client key is free" are atomic with the commit.
use super::model::*;
use super::state::{Change, TenancyState};
use crate::error::Error;

/// A requested change. `Update` carries the whole new version of an existing entity.
#[derive(Debug, Clone)]
pub enum TenancyCommand {
    Create(Entity),
    Update(Entity),
    Delete(EntityRef),
    /// Uses the set-up link whose token hashes to `token_hash`: refused once it is used,
    /// expired or replaced, or when a site administrator exists. Sent together with the
    /// creation of the site administrator, so the link works once.
    ClaimSetup {
        token_hash: Vec<u8>,
    },
}

const MAX_NAME: usize = 200;

fn name_ok(what: &str, name: &str) -> Result<(), Error> {
    if name.trim().is_empty() || name.len() > MAX_NAME {
        return Err(Error::BadRequest(format!(
            "{what} must be 1 to {MAX_NAME} characters"
        )));
    }
    Ok(())
}

fn missing(what: &str) -> Error {
    Error::BadRequest(format!("{what} does not exist"))
}

/// The changes a command makes, or why it is refused. Times are stamped with `now_us`.
pub fn decide(
    state: &TenancyState,
    cmd: TenancyCommand,
    now_us: i64,
) -> Result<Vec<Change>, Error> {
    match cmd {
        TenancyCommand::Create(mut e) => {
            if state.exists(e.reference()) {
                return Err(Error::Conflict("it already exists".into()));
            }
            validate(state, &e, None)?;
            e.stamp(now_us, true);
            Ok(vec![Change::Put(e)])
        }
        TenancyCommand::Update(mut e) => {
            let Some(old) = state.get(e.reference()) else {
                return Err(Error::NotFound);
            };
            validate(state, &e, Some(&old))?;
            e.stamp(now_us, true);
            restore_created(&mut e, &old);
            Ok(vec![Change::Put(e)])
        }
        TenancyCommand::Delete(r) => {
            if !state.exists(r) {
                return Err(Error::NotFound);
            }
            delete(state, r)
        }
        TenancyCommand::ClaimSetup { token_hash } => {
            claim_setup(state, &token_hash, now_us)?;
            Ok(vec![Change::Delete(EntityRef::Setup)])
        }
    }
}

/// Why a set-up link cannot be used, if it cannot.
pub fn claim_setup(state: &TenancyState, token_hash: &[u8], now_us: i64) -> Result<(), Error> {
    if state.has_site_admin() {
        return Err(Error::Conflict(
            "this installation is already set up: its site administrator exists. Sign in \
             instead."
                .into(),
        ));
    }
    match &state.setup {
        Some(l) if l.token_hash == token_hash && now_us <= l.expires_us => Ok(()),
        Some(l) if l.token_hash == token_hash => Err(Error::Forbidden(
            "this set-up link has expired. Restart `cairn serve` to print a new one.".into(),
        )),
        _ => Err(Error::Forbidden(
            "this set-up link is not valid: copy the whole link that `cairn serve` printed last \
             (each start replaces the link of the start before)."
                .into(),
        )),
    }
}

fn created_of(e: &Entity) -> i64 {
    match e {
        Entity::Organisation(x) => x.created_us,
        Entity::Store(x) => x.created_us,
        Entity::Client(x) => x.created_us,
        Entity::User(x) => x.created_us,
        Entity::Membership(x) => x.created_us,
        Entity::Token(x) => x.created_us,
        Entity::Identity(x) => x.created_us,
        Entity::Setup(x) => x.created_us,
    }
}

fn restore_created(e: &mut Entity, old: &Entity) {
    let c = created_of(old);
    match e {
        Entity::Organisation(x) => x.created_us = c,
        Entity::Store(x) => x.created_us = c,
        Entity::Client(x) => x.created_us = c,
        Entity::User(x) => x.created_us = c,
        Entity::Membership(x) => x.created_us = c,
        Entity::Token(x) => x.created_us = c,
        Entity::Identity(x) => x.created_us = c,
        Entity::Setup(x) => x.created_us = c,
    }
}

fn validate(state: &TenancyState, e: &Entity, old: Option<&Entity>) -> Result<(), Error> {
    match (e, old) {
        (Entity::Organisation(o), _) => {
            name_ok("name", &o.name)?;
            if let Some(p) = o.parent {
                if !state.orgs.contains_key(&p) {
                    return Err(missing("the parent organisation"));
                }
                if state.ancestry(p).contains(&o.id) {
                    return Err(Error::BadRequest(
                        "an organisation cannot be nested under itself or its descendants".into(),
                    ));
                }
            }
        }
        (Entity::Store(s), old) => {
            name_ok("name", &s.name)?;
            if let Some(n) = s.retention_months
                && !super::model::RETENTION_MONTHS.contains(&n)
            {
                return Err(Error::BadRequest(format!(
                    "retention_months must be between {} and {} (or null: keep forever), not {n}",
                    super::model::RETENTION_MONTHS.start(),
                    super::model::RETENTION_MONTHS.end()
                )));
            }
            if !state.orgs.contains_key(&s.org) {
                return Err(missing("the organisation"));
            }
            if let Some(Entity::Store(o)) = old
                && o.org != s.org
            {
                return Err(Error::BadRequest(
                    "a store cannot move to another organisation".into(),
                ));
            }
        }
        (Entity::Client(c), old) => {
            name_ok("name", &c.name)?;
            if c.key.is_empty() || c.key.len() > 128 || c.key.contains(':') {
                return Err(Error::BadRequest(
                    "a client key must be 1 to 128 characters without ':'".into(),
                ));
            }
            if c.scopes.is_empty() {
                return Err(Error::BadRequest(
                    "a client needs at least one scope".into(),
                ));
            }
            if !state.stores.contains_key(&c.store) {
                return Err(missing("the store"));
            }
            if let Some(Entity::Client(o)) = old
                && o.store != c.store
            {
                return Err(Error::BadRequest(
                    "a client cannot move to another store".into(),
                ));
            }
            if state.client_by_key(&c.key).is_some_and(|x| x.id != c.id) {
                return Err(Error::Conflict("that client key is taken".into()));
            }
        }
        (Entity::User(u), old) => {
            name_ok("name", &u.name)?;
            let at = u.email.find('@');
            if u.email.len() > 254
                || at.is_none_or(|i| i == 0 || i + 1 == u.email.len())
                || u.email != u.email.to_ascii_lowercase()
            {
                return Err(Error::BadRequest(
                    "email must be a lower-case address such as ada@example.com".into(),
                ));
            }
            if state.user_by_email(&u.email).is_some_and(|x| x.id != u.id) {
                return Err(Error::Conflict("that email is taken".into()));
            }
            if let Some(Entity::User(o)) = old
                && o.site_admin
                && (!u.site_admin || u.disabled)
                && last_site_admin(state, o.id)
            {
                return Err(Error::Conflict(
                    "the last site administrator cannot be demoted or disabled".into(),
                ));
            }
        }
        (Entity::Membership(m), _) => {
            if !state.orgs.contains_key(&m.org) {
                return Err(missing("the organisation"));
            }
            if !state.users.contains_key(&m.user) {
                return Err(missing("the user"));
            }
        }
        (Entity::Token(t), _) => {
            name_ok("name", &t.name)?;
            if !state.users.contains_key(&t.user) {
                return Err(missing("the user"));
            }
        }
        (Entity::Identity(i), _) => {
            if i.id != IdentityId::of(&i.issuer, &i.subject) {
                return Err(Error::BadRequest(
                    "an identity's id must be derived from its issuer and subject".into(),
                ));
            }
            if !state.users.contains_key(&i.user) {
                return Err(missing("the user"));
            }
        }
        (Entity::Setup(_), _) => {}
    }
    Ok(())
}

fn last_site_admin(state: &TenancyState, user: UserId) -> bool {
    !state
        .users
        .values()
        .any(|u| u.id != user && u.site_admin && !u.disabled)
}

fn delete(state: &TenancyState, r: EntityRef) -> Result<Vec<Change>, Error> {
    let mut out = Vec::new();
    match r {
        EntityRef::Organisation(id) => {
            let has_children = state.orgs.values().any(|o| o.parent == Some(id))
                || state.stores.values().any(|s| s.org == id);
            if has_children {
                return Err(Error::Conflict(
                    "delete the organisation's stores and child organisations first".into(),
                ));
            }
            for (o, u) in state.members.keys().filter(|(o, _)| *o == id) {
                out.push(Change::Delete(EntityRef::Membership(*o, *u)));
            }
        }
        EntityRef::Store(id) => {
            for c in state.clients.values().filter(|c| c.store == id) {
                out.push(Change::Delete(EntityRef::Client(c.id)));
            }
        }
        EntityRef::User(id) => {
            if state.users.get(&id).is_some_and(|u| u.site_admin) && last_site_admin(state, id) {
                return Err(Error::Conflict(
                    "the last site administrator cannot be deleted".into(),
                ));
            }
            for (o, u) in state.members.keys().filter(|(_, u)| *u == id) {
                out.push(Change::Delete(EntityRef::Membership(*o, *u)));
            }
            for t in state.tokens.values().filter(|t| t.user == id) {
                out.push(Change::Delete(EntityRef::Token(t.id)));
            }
            for i in state.identities.values().filter(|i| i.user == id) {
                out.push(Change::Delete(EntityRef::Identity(i.id)));
            }
        }
        EntityRef::Client(_)
        | EntityRef::Membership(..)
        | EntityRef::Token(_)
        | EntityRef::Identity(_)
        | EntityRef::Setup => {}
    }
    out.push(Change::Delete(r));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::StoreId;

    fn apply(s: &mut TenancyState, cmd: TenancyCommand) -> Result<(), Error> {
        for ch in decide(s, cmd, 1)? {
            s.apply(&ch);
        }
        Ok(())
    }

    fn org(id: OrgId, parent: Option<OrgId>) -> Entity {
        Entity::Organisation(Organisation {
            id,
            name: "org".into(),
            parent,
            created_us: 0,
            updated_us: 0,
        })
    }

    fn client(store: StoreId, key: &str) -> Client {
        Client {
            id: ClientId::generate(),
            store,
            name: "c".into(),
            key: key.into(),
            secret_hash: vec![],
            scopes: vec![Scope::All],
            disabled: false,
            created_us: 0,
            updated_us: 0,
        }
    }

    #[test]
    fn references_uniqueness_and_cycles_are_enforced() {
        let mut s = TenancyState::default();
        let (a, b) = (OrgId::generate(), OrgId::generate());
        assert!(matches!(
            apply(&mut s, TenancyCommand::Create(org(b, Some(a)))),
            Err(Error::BadRequest(_))
        ));
        apply(&mut s, TenancyCommand::Create(org(a, None))).unwrap();
        apply(&mut s, TenancyCommand::Create(org(b, Some(a)))).unwrap();
        assert!(matches!(
            apply(&mut s, TenancyCommand::Update(org(a, Some(b)))),
            Err(Error::BadRequest(_))
        ));
        let st = StoreId(uuid::Uuid::now_v7());
        let store = Entity::Store(Store {
            id: st,
            org: b,
            name: "s".into(),
            created_us: 0,
            updated_us: 0,
            retention_months: None,
        });
        apply(&mut s, TenancyCommand::Create(store.clone())).unwrap();
        // Retention: 1 to 1200 months, or none; the error names the field.
        let Entity::Store(mut kept) = store else {
            unreachable!()
        };
        for bad in [0, 1201] {
            kept.retention_months = Some(bad);
            match apply(&mut s, TenancyCommand::Update(Entity::Store(kept.clone()))) {
                Err(Error::BadRequest(why)) => assert!(why.contains("retention_months"), "{why}"),
                other => panic!("{other:?}"),
            }
        }
        for ok in [1, 1200] {
            kept.retention_months = Some(ok);
            apply(&mut s, TenancyCommand::Update(Entity::Store(kept.clone()))).unwrap();
            assert_eq!(s.stores[&st].retention_months, Some(ok));
        }
        apply(
            &mut s,
            TenancyCommand::Create(Entity::Client(client(st, "k1"))),
        )
        .unwrap();
        assert!(matches!(
            apply(
                &mut s,
                TenancyCommand::Create(Entity::Client(client(st, "k1")))
            ),
            Err(Error::Conflict(_))
        ));
        assert!(matches!(
            apply(
                &mut s,
                TenancyCommand::Create(Entity::Client(client(st, "a:b")))
            ),
            Err(Error::BadRequest(_))
        ));
        // An organisation with stores cannot go; a store takes its clients with it.
        assert!(matches!(
            apply(&mut s, TenancyCommand::Delete(EntityRef::Organisation(b))),
            Err(Error::Conflict(_))
        ));
        apply(&mut s, TenancyCommand::Delete(EntityRef::Store(st))).unwrap();
        assert!(s.client_by_key("k1").is_none());
        apply(&mut s, TenancyCommand::Delete(EntityRef::Organisation(b))).unwrap();
        assert!(matches!(
            apply(&mut s, TenancyCommand::Delete(EntityRef::Organisation(b))),
            Err(Error::NotFound)
        ));
    }

    #[test]
    fn the_last_site_admin_stays() {
        let mut s = TenancyState::default();
        let u = User {
            id: UserId::generate(),
            email: "root@example.com".into(),
            name: "Root".into(),
            password_hash: String::new(),
            site_admin: true,
            disabled: false,
            created_us: 0,
            updated_us: 0,
        };
        apply(&mut s, TenancyCommand::Create(Entity::User(u.clone()))).unwrap();
        let demoted = User {
            site_admin: false,
            ..u.clone()
        };
        assert!(apply(&mut s, TenancyCommand::Update(Entity::User(demoted))).is_err());
        assert!(apply(&mut s, TenancyCommand::Delete(EntityRef::User(u.id))).is_err());
        let upper = User {
            id: UserId::generate(),
            email: "Other@example.com".into(),
            ..u
        };
        assert!(apply(&mut s, TenancyCommand::Create(Entity::User(upper))).is_err());
    }
}
