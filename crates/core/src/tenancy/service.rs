//! The tenancy service: xAPI authentication, logins, sessions and personal tokens, users, and the
//! bootstrap of an installation. The admin operations on organisations, stores, clients and
//! members are in [`super::admin`].
use super::access::Subject;
use super::decide::TenancyCommand;
use super::model::*;
use super::secrets;
use super::{Registry, Snapshot};
use crate::auth::{Authenticator, Principal};
use crate::error::Error;
use crate::ids::StoreId;
use crate::writer::WriterHandle;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct TenancyConfig {
    /// A session ends after this long without use.
    pub session_idle: Duration,
    /// Sessions kept at most (the oldest are dropped first).
    pub session_capacity: u64,
    /// Shortest client secret accepted, in characters (generated ones have 64).
    pub client_secret_min_chars: usize,
}

impl Default for TenancyConfig {
    fn default() -> Self {
        TenancyConfig {
            session_idle: Duration::from_secs(8 * 3600),
            session_capacity: 100_000,
            client_secret_min_chars: 16,
        }
    }
}

/// A secret shown once: a client's key and secret, or a personal token.
#[derive(Debug, Clone)]
pub struct NewSecret {
    pub key: String,
    pub secret: String,
}

/// Fields of a client to create or change (None: keep, or the default on create).
#[derive(Debug, Clone, Default)]
pub struct ClientSpec {
    pub name: Option<String>,
    pub scopes: Option<Vec<Scope>>,
    pub disabled: Option<bool>,
    /// Only on create: a chosen key (else generated).
    pub key: Option<String>,
    /// Only on create: a chosen secret (else generated). See [`secrets`] on its strength.
    pub secret: Option<String>,
}

/// Fields of a user to create or change.
#[derive(Debug, Clone, Default)]
pub struct UserSpec {
    pub email: Option<String>,
    pub name: Option<String>,
    pub password: Option<String>,
    pub site_admin: Option<bool>,
    pub disabled: Option<bool>,
}

const TOKEN_PREFIX: &str = "cairn_pat_";

/// An open session, as its user and site administrators see it (never its secret cookie value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// A public id (UUIDv7: in opening order), to name the session when ending it.
    pub id: uuid::Uuid,
    pub user: UserId,
    pub created_us: i64,
}

#[derive(Clone)]
pub struct TenancyService {
    pub(super) registry: Arc<Registry>,
    pub(super) writer: WriterHandle,
    /// SHA-256 of a session id → the session.
    sessions: moka::sync::Cache<Vec<u8>, SessionInfo>,
    pub(super) client_secret_min_chars: usize,
}

pub(super) fn password_ok(p: &str) -> Result<(), Error> {
    if p.chars().count() < 10 || p.len() > 1024 {
        return Err(Error::BadRequest(
            "a password must be 10 to 1024 characters".into(),
        ));
    }
    Ok(())
}

pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Internal(e.to_string()))
}

impl TenancyService {
    pub fn new(registry: Arc<Registry>, writer: WriterHandle, cfg: TenancyConfig) -> Self {
        let sessions = moka::sync::Cache::builder()
            .max_capacity(cfg.session_capacity)
            .time_to_idle(cfg.session_idle)
            .support_invalidation_closures()
            .build();
        TenancyService {
            registry,
            writer,
            sessions,
            client_secret_min_chars: cfg.client_secret_min_chars,
        }
    }

    /// A client secret chosen by an operator is long enough.
    pub(super) fn check_client_secret(&self, secret: &str) -> Result<(), Error> {
        let n = secret.chars().count();
        if n < self.client_secret_min_chars {
            return Err(Error::BadRequest(format!(
                "a client secret must have at least {} characters (client_secret_min_chars), \
                 this one has {n}",
                self.client_secret_min_chars
            )));
        }
        Ok(())
    }

    /// Ends every session of a user (sessions opened later are not affected).
    fn end_sessions(&self, user: UserId) {
        if let Err(e) = self
            .sessions
            .invalidate_entries_if(move |_, s| s.user == user)
        {
            // Only fails when the cache was built without invalidation closures.
            tracing::error!(error = %e, "cannot end sessions");
        }
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.registry.current()
    }

    pub(super) async fn apply(&self, commands: Vec<TenancyCommand>) -> Result<(), Error> {
        self.writer.tenancy(commands).await.map(|_| ())
    }

    // ---- people: login, sessions, tokens ----

    /// Checks an email and password; on success opens a session and returns its id.
    /// Unknown emails cost the same time as wrong passwords.
    pub async fn login(&self, email: &str, password: &str) -> Result<(String, User), Error> {
        let user = self.snapshot().state.user_by_email(email.trim()).cloned();
        let phc = match &user {
            Some(u) if !u.disabled && !u.password_hash.is_empty() => u.password_hash.clone(),
            _ => secrets::dummy_password_hash().to_owned(),
        };
        let pw = password.to_owned();
        let ok = blocking(move || secrets::verify_password(&phc, &pw)).await?;
        match user {
            Some(u) if ok && !u.disabled && !u.password_hash.is_empty() => {
                Ok((self.open_session(u.id), u))
            }
            _ => Err(Error::Unauthenticated(
                "the email or password is not right".into(),
            )),
        }
    }

    /// Opens a session for a user (signed in by password, the set-up link or single sign-on)
    /// and returns its secret id (the cookie's value).
    pub fn open_session(&self, user: UserId) -> String {
        let sid = secrets::generate_secret();
        let info = SessionInfo {
            id: uuid::Uuid::now_v7(),
            user,
            created_us: crate::time_fmt::now_us(),
        };
        self.sessions.insert(secrets::hash_secret(&sid), info);
        sid
    }

    /// The open sessions of a user, oldest first, each with whether it is `current` (the
    /// caller's own cookie). The user themself or a site administrator; others get NotFound.
    pub fn sessions(
        &self,
        subject: &Subject,
        user: UserId,
        current: Option<&str>,
        q: &super::ListQuery,
    ) -> Result<super::Listed<(SessionInfo, bool)>, Error> {
        self.user(subject, user)?;
        let current = current.map(secrets::hash_secret);
        let mut open: Vec<(SessionInfo, bool)> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.user == user)
            .map(|(k, s)| (s, current.as_deref() == Some(k.as_slice())))
            .collect();
        open.sort_by_key(|(s, _)| s.id);
        Ok(super::admin::page(open.into_iter().map(|x| (x.0.id, x)), q))
    }

    /// Ends one session of a user (the user themself or a site administrator).
    pub fn end_session(
        &self,
        subject: &Subject,
        user: UserId,
        id: uuid::Uuid,
    ) -> Result<(), Error> {
        self.user(subject, user)?;
        let key = self
            .sessions
            .iter()
            .find(|(_, s)| s.user == user && s.id == id)
            .map(|(k, _)| k)
            .ok_or(Error::NotFound)?;
        self.sessions.invalidate(key.as_ref());
        Ok(())
    }

    pub fn logout(&self, session: &str) {
        self.sessions.invalidate(&secrets::hash_secret(session));
    }

    fn subject_of(&self, user: UserId) -> Option<Subject> {
        let snap = self.snapshot();
        let u = snap.state.users.get(&user).filter(|u| !u.disabled)?;
        Some(Subject {
            user: u.id,
            site_admin: u.site_admin,
        })
    }

    /// The user of a session cookie, if the session is alive and the user still enabled.
    pub fn session(&self, session: &str) -> Option<Subject> {
        let s = self.sessions.get(&secrets::hash_secret(session))?;
        self.subject_of(s.user)
    }

    /// The user of a personal token (`cairn_pat_<id>_<secret>`).
    pub fn token(&self, bearer: &str) -> Option<Subject> {
        let rest = bearer.strip_prefix(TOKEN_PREFIX)?;
        let (id, secret) = rest.split_once('_')?;
        let id = TokenId(uuid::Uuid::parse_str(id).ok()?);
        let snap = self.snapshot();
        let t = snap.state.tokens.get(&id)?;
        if !secrets::verify_secret(&t.secret_hash, secret) {
            return None;
        }
        self.subject_of(t.user)
    }

    pub fn tokens(&self, subject: &Subject) -> Vec<ApiToken> {
        let snap = self.snapshot();
        snap.state
            .tokens
            .values()
            .filter(|t| t.user == subject.user)
            .cloned()
            .collect()
    }

    /// Creates a personal token; the returned secret is shown once.
    pub async fn create_token(
        &self,
        subject: &Subject,
        name: &str,
    ) -> Result<(ApiToken, NewSecret), Error> {
        let secret = secrets::generate_secret();
        let t = ApiToken {
            id: TokenId::generate(),
            user: subject.user,
            name: name.to_owned(),
            secret_hash: secrets::hash_secret(&secret),
            created_us: 0,
            updated_us: 0,
        };
        self.apply(vec![TenancyCommand::Create(Entity::Token(t.clone()))])
            .await?;
        let token = format!("{TOKEN_PREFIX}{}_{secret}", t.id.0.simple());
        let t = self
            .snapshot()
            .state
            .tokens
            .get(&t.id)
            .cloned()
            .unwrap_or(t);
        Ok((
            t,
            NewSecret {
                key: String::new(),
                secret: token,
            },
        ))
    }

    pub async fn delete_token(&self, subject: &Subject, id: TokenId) -> Result<(), Error> {
        let owned = self
            .snapshot()
            .state
            .tokens
            .get(&id)
            .is_some_and(|t| t.user == subject.user);
        if !owned {
            return Err(Error::NotFound);
        }
        self.apply(vec![TenancyCommand::Delete(EntityRef::Token(id))])
            .await
    }

    // ---- users ----

    /// The user and the memberships they hold.
    pub fn me(&self, subject: &Subject) -> Result<(User, Vec<Membership>), Error> {
        let snap = self.snapshot();
        let u = snap
            .state
            .users
            .get(&subject.user)
            .cloned()
            .ok_or(Error::NotFound)?;
        let m = snap
            .state
            .members
            .values()
            .filter(|m| m.user == subject.user)
            .cloned()
            .collect();
        Ok((u, m))
    }

    /// A user: site administrators see everyone, others only themselves.
    pub fn user(&self, subject: &Subject, id: UserId) -> Result<User, Error> {
        if !subject.site_admin && subject.user != id {
            return Err(Error::NotFound);
        }
        self.snapshot()
            .state
            .users
            .get(&id)
            .cloned()
            .ok_or(Error::NotFound)
    }

    pub fn users(
        &self,
        subject: &Subject,
        q: &super::ListQuery,
        email: Option<&str>,
    ) -> Result<super::Listed<User>, Error> {
        subject.require_site_admin()?;
        let snap = self.snapshot();
        let email = email.map(str::to_ascii_lowercase);
        Ok(super::admin::page(
            snap.state
                .users
                .values()
                .filter(|u| email.as_ref().is_none_or(|e| u.email.contains(e.as_str())))
                .filter(|u| q.name_matches(&u.name))
                .map(|u| (u.id.0, u.clone())),
            q,
        ))
    }

    /// Creates a user (site administrators only; `None` subject: the CLI, which is trusted).
    pub async fn create_user(
        &self,
        subject: Option<&Subject>,
        spec: UserSpec,
    ) -> Result<User, Error> {
        if let Some(s) = subject {
            s.require_site_admin()?;
        }
        let email = spec
            .email
            .ok_or_else(|| Error::BadRequest("email is required".into()))?
            .trim()
            .to_ascii_lowercase();
        let password = spec
            .password
            .ok_or_else(|| Error::BadRequest("password is required".into()))?;
        password_ok(&password)?;
        let password_hash = blocking(move || secrets::hash_password(&password)).await?;
        let u = User {
            id: UserId::generate(),
            name: spec.name.unwrap_or_else(|| email.clone()),
            email,
            password_hash,
            site_admin: spec.site_admin.unwrap_or(false),
            disabled: spec.disabled.unwrap_or(false),
            created_us: 0,
            updated_us: 0,
        };
        self.apply(vec![TenancyCommand::Create(Entity::User(u.clone()))])
            .await?;
        self.user_after(u.id)
    }

    fn user_after(&self, id: UserId) -> Result<User, Error> {
        self.snapshot()
            .state
            .users
            .get(&id)
            .cloned()
            .ok_or(Error::NotFound)
    }

    /// Changes a user. Everyone may change their own name and password; email, site
    /// administration and disabling need a site administrator. A new password or disabling
    /// ends every session of the user (re-enabling does not bring them back); personal tokens
    /// are kept, and work again once the user is enabled.
    pub async fn update_user(
        &self,
        subject: &Subject,
        id: UserId,
        spec: UserSpec,
    ) -> Result<User, Error> {
        let mut u = self.user(subject, id)?;
        if (spec.email.is_some() || spec.site_admin.is_some() || spec.disabled.is_some())
            && !subject.site_admin
        {
            return Err(Error::Forbidden(
                "only a site administrator changes email, site_admin or disabled".into(),
            ));
        }
        if let Some(n) = spec.name {
            u.name = n;
        }
        if let Some(e) = spec.email {
            u.email = e.trim().to_ascii_lowercase();
        }
        if let Some(a) = spec.site_admin {
            u.site_admin = a;
        }
        if let Some(d) = spec.disabled {
            u.disabled = d;
        }
        let end_sessions = spec.password.is_some() || spec.disabled == Some(true);
        if let Some(p) = spec.password {
            password_ok(&p)?;
            u.password_hash = blocking(move || secrets::hash_password(&p)).await?;
        }
        self.apply(vec![TenancyCommand::Update(Entity::User(u))])
            .await?;
        if end_sessions {
            self.end_sessions(id);
        }
        self.user_after(id)
    }

    pub async fn delete_user(&self, subject: &Subject, id: UserId) -> Result<(), Error> {
        self.user(subject, id)?;
        subject.require_site_admin()?;
        self.apply(vec![TenancyCommand::Delete(EntityRef::User(id))])
            .await
    }

    // ---- bootstrap ----

    /// Creates the default organisation and store (keeping [`StoreId::DEFAULT`], where data of
    /// earlier versions lives) when they have never existed.
    pub async fn ensure_default_store(&self) -> Result<(), Error> {
        let snap = self.snapshot();
        let mut cmds = Vec::new();
        if !snap.state.orgs.contains_key(&DEFAULT_ORG)
            && !snap.state.stores.contains_key(&StoreId::DEFAULT)
        {
            cmds.push(TenancyCommand::Create(Entity::Organisation(Organisation {
                id: DEFAULT_ORG,
                name: "Default organisation".into(),
                parent: None,
                created_us: 0,
                updated_us: 0,
            })));
        }
        if !snap.state.stores.contains_key(&StoreId::DEFAULT)
            && (snap.state.orgs.contains_key(&DEFAULT_ORG) || !cmds.is_empty())
        {
            cmds.push(TenancyCommand::Create(Entity::Store(Store {
                id: StoreId::DEFAULT,
                org: DEFAULT_ORG,
                name: "Default store".into(),
                created_us: 0,
                updated_us: 0,
                retention_months: None,
            })));
        }
        if cmds.is_empty() {
            return Ok(());
        }
        self.apply(cmds).await
    }

    /// Makes sure a client with this key and secret exists in `store` (the configured default
    /// client): created with scope `all` when missing, its secret reset when it differs.
    pub async fn ensure_client(
        &self,
        store: StoreId,
        key: &str,
        secret: &str,
        name: &str,
    ) -> Result<(), Error> {
        self.check_client_secret(secret)?;
        let snap = self.snapshot();
        match snap.state.client_by_key(key) {
            Some(c) if secrets::verify_secret(&c.secret_hash, secret) => Ok(()),
            Some(c) => {
                let mut c = c.clone();
                c.secret_hash = secrets::hash_secret(secret);
                self.apply(vec![TenancyCommand::Update(Entity::Client(c))])
                    .await
            }
            None => self
                .create_client(
                    None,
                    store,
                    ClientSpec {
                        name: Some(name.to_owned()),
                        scopes: Some(vec![Scope::All]),
                        key: Some(key.to_owned()),
                        secret: Some(secret.to_owned()),
                        disabled: None,
                    },
                )
                .await
                .map(|_| ()),
        }
    }
}

impl Authenticator for TenancyService {
    fn authenticate(&self, key: &str, secret: &str) -> Option<Principal> {
        self.registry.current().authenticate(key, secret)
    }
}
