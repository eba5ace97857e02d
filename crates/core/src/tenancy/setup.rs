//! The first run: while an installation has no site administrator, each start makes a one-time
//! set-up link (a random token; only its hash is kept, as a tenancy event). Opening the link
//! lets a person create the site administrator in the browser, which uses the link up.
use super::decide::{TenancyCommand, claim_setup};
use super::model::*;
use super::secrets;
use super::service::{TenancyService, blocking, password_ok};
use crate::error::Error;
use std::time::Duration;

/// The site administrator to create with a set-up link.
#[derive(Debug, Clone)]
pub struct SetupSpec {
    pub token: String,
    pub email: String,
    pub name: Option<String>,
    pub password: String,
}

impl TenancyService {
    /// When the installation has no site administrator: a new set-up link token, valid for
    /// `valid_for`, that replaces any earlier one. Shown once: only its hash is stored.
    pub async fn new_setup_link(&self, valid_for: Duration) -> Result<Option<String>, Error> {
        let snap = self.snapshot();
        if snap.state.has_site_admin() {
            // A link left from before the administrator was created by the CLI goes.
            if snap.state.setup.is_some() {
                self.apply(vec![TenancyCommand::Delete(EntityRef::Setup)])
                    .await?;
            }
            return Ok(None);
        }
        let token = secrets::generate_secret();
        let valid_us = i64::try_from(valid_for.as_micros()).unwrap_or(i64::MAX);
        let link = SetupLink {
            token_hash: secrets::hash_secret(&token),
            expires_us: crate::time_fmt::now_us().saturating_add(valid_us),
            created_us: 0,
            updated_us: 0,
        };
        let cmd = if self.snapshot().state.setup.is_some() {
            TenancyCommand::Update(Entity::Setup(link))
        } else {
            TenancyCommand::Create(Entity::Setup(link))
        };
        self.apply(vec![cmd]).await?;
        Ok(Some(token))
    }

    /// Whether the set-up link of this token can be used now (it is checked again on use).
    pub fn check_setup(&self, token: &str) -> Result<(), Error> {
        claim_setup(
            &self.snapshot().state,
            &secrets::hash_secret(token.trim()),
            crate::time_fmt::now_us(),
        )
    }

    /// Creates the site administrator with the set-up link (which then no longer works) and
    /// opens their session: the session id and the user.
    pub async fn complete_setup(&self, spec: SetupSpec) -> Result<(String, User), Error> {
        self.check_setup(&spec.token)?;
        password_ok(&spec.password)?;
        let email = spec.email.trim().to_ascii_lowercase();
        let password = spec.password;
        let password_hash = blocking(move || secrets::hash_password(&password)).await?;
        let u = User {
            id: UserId::generate(),
            name: spec
                .name
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| email.clone()),
            email,
            password_hash,
            site_admin: true,
            disabled: false,
            created_us: 0,
            updated_us: 0,
        };
        // One request: the link is claimed (checked again by the writer, against every earlier
        // use) and the administrator created, or neither.
        self.apply(vec![
            TenancyCommand::ClaimSetup {
                token_hash: secrets::hash_secret(spec.token.trim()),
            },
            TenancyCommand::Create(Entity::User(u.clone())),
        ])
        .await?;
        let sid = self.open_session(u.id);
        let user = self.snapshot().state.users.get(&u.id).cloned().unwrap_or(u);
        Ok((sid, user))
    }
}

#[cfg(test)]
mod tests {
    use super::super::state::TenancyState;
    use super::super::{Change, decide};
    use super::*;

    fn link(hash: &[u8], expires_us: i64) -> TenancyState {
        let mut s = TenancyState::default();
        s.apply(&Change::Put(Entity::Setup(SetupLink {
            token_hash: hash.to_vec(),
            expires_us,
            created_us: 0,
            updated_us: 0,
        })));
        s
    }

    #[test]
    fn a_link_works_once_before_it_expires_and_only_with_its_token() {
        let hash = secrets::hash_secret("t");
        let mut s = link(&hash, 100);
        let claim = |h: &[u8]| TenancyCommand::ClaimSetup {
            token_hash: h.to_vec(),
        };
        let wrong = decide(&s, claim(&secrets::hash_secret("u")), 50).unwrap_err();
        assert!(wrong.to_string().contains("not valid"), "{wrong}");
        let late = decide(&s, claim(&hash), 101).unwrap_err();
        assert!(late.to_string().contains("expired"), "{late}");
        for ch in decide(&s, claim(&hash), 50).unwrap() {
            s.apply(&ch);
        }
        assert!(s.setup.is_none());
        let again = decide(&s, claim(&hash), 50).unwrap_err();
        assert!(again.to_string().contains("not valid"), "{again}");
    }

    #[test]
    fn no_link_works_once_a_site_admin_exists() {
        let hash = secrets::hash_secret("t");
        let mut s = link(&hash, 100);
        s.apply(&Change::Put(Entity::User(User {
            id: UserId::generate(),
            email: "root@example.com".into(),
            name: "Root".into(),
            password_hash: String::new(),
            site_admin: true,
            disabled: false,
            created_us: 0,
            updated_us: 0,
        })));
        let e = claim_setup(&s, &hash, 50).unwrap_err();
        assert!(e.to_string().contains("already set up"), "{e}");
    }
}
