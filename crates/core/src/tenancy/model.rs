//! The tenancy entities: organisations (optionally nested), stores, clients (xAPI credentials),
//! users, their roles in organisations, and personal API tokens. Plain data: the rules that
//! relate them live in [`super::decide`] and [`super::access`].
use crate::ids::StoreId;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new id; time-ordered (UUIDv7), so lists sorted by id are in creation order.
            pub fn generate() -> Self {
                $name(Uuid::now_v7())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// An organisation.
    OrgId
);
id_type!(
    /// A client (one set of xAPI credentials of a store).
    ClientId
);
id_type!(
    /// A user (a person who logs in to the admin API and web app).
    UserId
);
id_type!(
    /// A personal API token of a user.
    TokenId
);
id_type!(
    /// A sign-in identity at an OpenID provider (derived from its issuer and subject).
    IdentityId
);

impl IdentityId {
    /// The id of the identity `subject` at `issuer`: the same pair always gives the same id.
    pub fn of(issuer: &str, subject: &str) -> Self {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(issuer.as_bytes());
        h.update([0]);
        h.update(subject.as_bytes());
        let d = h.finalize();
        let mut b = [0u8; 16];
        b.copy_from_slice(&d[..16]);
        IdentityId(Uuid::from_bytes(b))
    }
}

/// The store created on first start (it keeps [`StoreId::DEFAULT`]) and its organisation.
pub const DEFAULT_ORG: OrgId = OrgId(Uuid::from_u128(1));

/// What an xAPI client may do (the xAPI OAuth scope names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Scope {
    StatementsWrite,
    StatementsRead,
    StatementsReadMine,
    State,
    Define,
    Profile,
    AllRead,
    All,
}

impl Scope {
    pub const ALL: [Scope; 8] = [
        Scope::StatementsWrite,
        Scope::StatementsRead,
        Scope::StatementsReadMine,
        Scope::State,
        Scope::Define,
        Scope::Profile,
        Scope::AllRead,
        Scope::All,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::StatementsWrite => "statements/write",
            Scope::StatementsRead => "statements/read",
            Scope::StatementsReadMine => "statements/read/mine",
            Scope::State => "state",
            Scope::Define => "define",
            Scope::Profile => "profile",
            Scope::AllRead => "all/read",
            Scope::All => "all",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// A user's role in an organisation; it applies to the organisation's descendants too.
/// Ordered: each role can do everything the roles before it can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    /// Reads the organisation and its stores (dashboards, statements through the web app).
    Viewer,
    /// A viewer who also builds queries and visualisations.
    Analyst,
    /// Manages stores, clients and members (except owners).
    Admin,
    /// Everything, including owners and deleting the organisation.
    Owner,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Analyst, Role::Admin, Role::Owner];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    pub id: OrgId,
    pub name: String,
    pub parent: Option<OrgId>,
    pub created_us: i64,
    pub updated_us: i64,
}

/// A store: one LRS endpoint of an organisation. Every statement and document belongs to one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Store {
    pub id: StoreId,
    pub org: OrgId,
    pub name: String,
    pub created_us: i64,
    pub updated_us: i64,
    /// Keep this many whole months of statements (by `stored`), archive older ones
    /// ([`crate::archive`]); `None`: keep forever. Added in record format version 2.
    #[serde(
        default,
        serialize_with = "crate::codec::v2_field",
        deserialize_with = "crate::codec::since_v2"
    )]
    pub retention_months: Option<u32>,
}

/// The bounds of [`Store::retention_months`].
pub const RETENTION_MONTHS: std::ops::RangeInclusive<u32> = 1..=1200;

/// xAPI credentials of a store. The secret is kept only as a hash (see [`super::secrets`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    pub id: ClientId,
    pub store: StoreId,
    pub name: String,
    /// The Basic-auth user name; unique across the installation.
    pub key: String,
    pub secret_hash: Vec<u8>,
    pub scopes: Vec<Scope>,
    pub disabled: bool,
    pub created_us: i64,
    pub updated_us: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    /// Lower-cased; unique across the installation.
    pub email: String,
    pub name: String,
    /// Argon2id PHC string; empty when the user cannot log in with a password.
    pub password_hash: String,
    pub site_admin: bool,
    pub disabled: bool,
    pub created_us: i64,
    pub updated_us: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub org: OrgId,
    pub user: UserId,
    pub role: Role,
    pub created_us: i64,
    pub updated_us: i64,
}

/// A personal API token (for scripts); acts as its user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: TokenId,
    pub user: UserId,
    pub name: String,
    pub secret_hash: Vec<u8>,
    pub created_us: i64,
    pub updated_us: i64,
}

/// A user's identity at an OpenID provider: signing in there as `subject` signs in as `user`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// [`IdentityId::of`] the issuer and subject.
    pub id: IdentityId,
    pub issuer: String,
    pub subject: String,
    pub user: UserId,
    pub created_us: i64,
    pub updated_us: i64,
}

/// The one-time set-up link of an installation without a site administrator. Only the hash of
/// its token is kept; a new start replaces it, and creating the site administrator with it
/// removes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupLink {
    pub token_hash: Vec<u8>,
    /// After this time (epoch µs) the link no longer works.
    pub expires_us: i64,
    pub created_us: i64,
    pub updated_us: i64,
}

/// Any entity, as carried by events and commands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Entity {
    Organisation(Organisation),
    Store(Store),
    Client(Client),
    User(User),
    Membership(Membership),
    Token(ApiToken),
    Identity(Identity),
    Setup(SetupLink),
}

/// The address of an entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EntityRef {
    Organisation(OrgId),
    Store(StoreId),
    Client(ClientId),
    User(UserId),
    Membership(OrgId, UserId),
    Token(TokenId),
    Identity(IdentityId),
    /// The set-up link (there is at most one).
    Setup,
}

impl Entity {
    pub fn reference(&self) -> EntityRef {
        match self {
            Entity::Organisation(o) => EntityRef::Organisation(o.id),
            Entity::Store(s) => EntityRef::Store(s.id),
            Entity::Client(c) => EntityRef::Client(c.id),
            Entity::User(u) => EntityRef::User(u.id),
            Entity::Membership(m) => EntityRef::Membership(m.org, m.user),
            Entity::Token(t) => EntityRef::Token(t.id),
            Entity::Identity(i) => EntityRef::Identity(i.id),
            Entity::Setup(_) => EntityRef::Setup,
        }
    }

    /// Stamps the change time (and the creation time of a new entity).
    pub fn stamp(&mut self, now_us: i64, created: bool) {
        let (c, u) = match self {
            Entity::Organisation(x) => (&mut x.created_us, &mut x.updated_us),
            Entity::Store(x) => (&mut x.created_us, &mut x.updated_us),
            Entity::Client(x) => (&mut x.created_us, &mut x.updated_us),
            Entity::User(x) => (&mut x.created_us, &mut x.updated_us),
            Entity::Membership(x) => (&mut x.created_us, &mut x.updated_us),
            Entity::Token(x) => (&mut x.created_us, &mut x.updated_us),
            Entity::Identity(x) => (&mut x.created_us, &mut x.updated_us),
            Entity::Setup(x) => (&mut x.created_us, &mut x.updated_us),
        };
        if created {
            *c = now_us;
        }
        *u = now_us;
    }
}

impl EntityRef {
    /// The materialized-state key: a kind tag then the id bytes.
    pub fn key(&self) -> Vec<u8> {
        let (tag, a, b): (u8, &Uuid, Option<&Uuid>) = match self {
            EntityRef::Organisation(id) => (1, &id.0, None),
            EntityRef::Store(id) => (2, &id.0, None),
            EntityRef::Client(id) => (3, &id.0, None),
            EntityRef::User(id) => (4, &id.0, None),
            EntityRef::Membership(o, u) => (5, &o.0, Some(&u.0)),
            EntityRef::Token(id) => (6, &id.0, None),
            EntityRef::Identity(id) => (7, &id.0, None),
            EntityRef::Setup => (8, &Uuid::nil(), None),
        };
        let mut k = Vec::with_capacity(33);
        k.push(tag);
        k.extend_from_slice(a.as_bytes());
        if let Some(b) = b {
            k.extend_from_slice(b.as_bytes());
        }
        k
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_and_roles_round_trip_their_names() {
        for s in Scope::ALL {
            assert_eq!(Scope::parse(s.as_str()), Some(s));
        }
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Scope::parse("statements"), None);
        assert!(Role::Owner > Role::Admin && Role::Admin > Role::Analyst);
    }

    #[test]
    fn keys_differ_by_kind() {
        let u = Uuid::now_v7();
        assert_ne!(
            EntityRef::Organisation(OrgId(u)).key(),
            EntityRef::Client(ClientId(u)).key()
        );
        assert_eq!(EntityRef::Membership(OrgId(u), UserId(u)).key().len(), 33);
    }
}
