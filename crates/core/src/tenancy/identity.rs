//! Signing in with an identity vouched for by an OpenID provider (single sign-on): the
//! provider's issuer and subject name a Cairn user. The first sign-in links the identity to the
//! user with the same email (only when the provider verified it), or creates that user (no
//! password) with the role new users get; each is a tenancy event, like every other change.
use super::decide::TenancyCommand;
use super::model::*;
use super::service::TenancyService;
use crate::error::Error;

/// Who the provider says signed in.
#[derive(Debug, Clone)]
pub struct ExternalSignIn {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
}

/// What a user created by their first single sign-on gets: a role in an organisation (none:
/// no role until an administrator gives one).
#[derive(Debug, Clone)]
pub struct NewUsers {
    pub org: OrgId,
    pub role: Option<Role>,
}

fn disabled() -> Error {
    Error::Forbidden("your Cairn account is disabled: ask an administrator to enable it".into())
}

impl TenancyService {
    /// Signs in the user of an external identity, linking or creating them on the first
    /// sign-in; answers a new session id and the user.
    pub async fn sign_in_external(
        &self,
        who: ExternalSignIn,
        new_users: &NewUsers,
    ) -> Result<(String, User), Error> {
        let id = IdentityId::of(&who.issuer, &who.subject);
        let snap = self.snapshot();
        if let Some(u) = snap
            .state
            .identities
            .get(&id)
            .and_then(|i| snap.state.users.get(&i.user))
        {
            if u.disabled {
                return Err(disabled());
            }
            return Ok((self.open_session(u.id), u.clone()));
        }
        let Some(email) = who.email.map(|e| e.trim().to_ascii_lowercase()) else {
            return Err(Error::Forbidden(
                "the identity provider gave no email address: allow Cairn the `email` scope \
                 there"
                    .into(),
            ));
        };
        let identity = |user: UserId| Identity {
            id,
            issuer: who.issuer.clone(),
            subject: who.subject.clone(),
            user,
            created_us: 0,
            updated_us: 0,
        };
        let (user, cmds) = match snap.state.user_by_email(&email) {
            Some(u) if u.disabled => return Err(disabled()),
            // Only a verified email links to an existing account: anyone could claim an
            // unverified one at some providers.
            Some(_) if !who.email_verified => {
                return Err(Error::Forbidden(format!(
                    "a Cairn account with the email {email} exists, but the identity provider \
                     has not verified that address, so it cannot be linked: verify it at the \
                     provider, or ask an administrator"
                )));
            }
            Some(u) => (
                u.id,
                vec![TenancyCommand::Create(Entity::Identity(identity(u.id)))],
            ),
            None => {
                let u = User {
                    id: UserId::generate(),
                    name: who
                        .name
                        .filter(|n| !n.trim().is_empty() && n.len() <= 200)
                        .unwrap_or_else(|| email.clone()),
                    email,
                    password_hash: String::new(),
                    site_admin: false,
                    disabled: false,
                    created_us: 0,
                    updated_us: 0,
                };
                let mut cmds = vec![
                    TenancyCommand::Create(Entity::User(u.clone())),
                    TenancyCommand::Create(Entity::Identity(identity(u.id))),
                ];
                match new_users.role {
                    Some(role) if snap.state.orgs.contains_key(&new_users.org) => {
                        cmds.push(TenancyCommand::Create(Entity::Membership(Membership {
                            org: new_users.org,
                            user: u.id,
                            role,
                            created_us: 0,
                            updated_us: 0,
                        })));
                    }
                    Some(_) => tracing::warn!(
                        org = %new_users.org,
                        "the organisation of new single sign-on users does not exist; the user \
                         gets no role"
                    ),
                    None => {}
                }
                (u.id, cmds)
            }
        };
        self.apply(cmds).await?;
        let u = self
            .snapshot()
            .state
            .users
            .get(&user)
            .cloned()
            .ok_or(Error::NotFound)?;
        Ok((self.open_session(u.id), u))
    }
}
