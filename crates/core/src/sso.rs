//! Single sign-on with OpenID Connect. The [`IdentityProvider`] port speaks to the provider
//! (discovery, the authorization URL with PKCE, state and nonce, the code exchange and the ID
//! token's verification); an adapter implements it with a maintained OpenID library. The
//! [`SsoService`] runs the flow around it: it remembers each started sign-in (by its state, for
//! `flow_ttl`, used once), checks that the callback comes back to the browser that started it,
//! applies the allow-list of email domains and signs the user in through the tenancy.
use crate::error::Error;
use crate::tenancy::{ExternalSignIn, NewUsers, TenancyService, User};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;

/// What the provider vouches for, from a verified ID token.
#[derive(Debug, Clone)]
pub struct Claims {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
}

/// The secrets of a started sign-in that its callback needs.
#[derive(Debug, Clone)]
pub struct PendingSignIn {
    pub nonce: String,
    pub pkce_verifier: String,
}

/// Where to send the browser, and the state that comes back with it.
#[derive(Debug, Clone)]
pub struct Authorization {
    pub url: String,
    pub state: String,
    pub pending: PendingSignIn,
}

#[async_trait]
pub trait IdentityProvider: Send + Sync {
    /// The provider's issuer identifier (with the subject, it names an identity).
    fn issuer(&self) -> &str;
    /// Starts a sign-in: the authorization URL (authorization code flow with PKCE).
    async fn authorize(&self) -> Result<Authorization, Error>;
    /// Exchanges the code and verifies the ID token (signature, issuer, audience, expiry and
    /// the pending sign-in's nonce).
    async fn finish(&self, code: &str, pending: PendingSignIn) -> Result<Claims, Error>;
}

/// The installation's single sign-on rules.
#[derive(Debug, Clone)]
pub struct SsoPolicy {
    /// Shown on the sign-in button: "Sign in with <name>".
    pub provider_name: String,
    /// Email domains allowed to sign in (lower case; empty: any).
    pub email_domains: Vec<String>,
    pub new_users: NewUsers,
    /// How long a person may take at the provider before the sign-in must start again.
    pub flow_ttl: Duration,
    /// Started sign-ins remembered at most (the oldest are forgotten first).
    pub flow_capacity: u64,
}

#[derive(Clone)]
pub struct SsoService {
    provider: Arc<dyn IdentityProvider>,
    policy: Arc<SsoPolicy>,
    tenancy: TenancyService,
    pending: moka::sync::Cache<String, PendingSignIn>,
}

fn restart(why: &str) -> Error {
    Error::BadRequest(format!(
        "{why}. Start the sign-in again from the sign-in page."
    ))
}

impl SsoService {
    pub fn new(
        provider: Arc<dyn IdentityProvider>,
        policy: SsoPolicy,
        tenancy: TenancyService,
    ) -> Self {
        let pending = moka::sync::Cache::builder()
            .max_capacity(policy.flow_capacity)
            .time_to_live(policy.flow_ttl)
            .build();
        SsoService {
            provider,
            policy: Arc::new(policy),
            tenancy,
            pending,
        }
    }

    pub fn policy(&self) -> &SsoPolicy {
        &self.policy
    }

    /// Starts a sign-in: the provider's URL and the state the browser must keep (a cookie).
    pub async fn start(&self) -> Result<(String, String), Error> {
        let a = self.provider.authorize().await?;
        self.pending.insert(a.state.clone(), a.pending);
        Ok((a.url, a.state))
    }

    /// Finishes a sign-in at its callback: `state` as the provider sent it back, `kept` as the
    /// browser kept it. Answers a new session id and the user.
    pub async fn finish(
        &self,
        state: &str,
        kept: Option<&str>,
        code: &str,
    ) -> Result<(String, User), Error> {
        let Some(kept) = kept else {
            return Err(restart(
                "this browser has no sign-in in progress (it was started elsewhere, or took \
                 too long)",
            ));
        };
        if kept != state {
            return Err(restart(
                "the state parameter does not match the sign-in this browser started",
            ));
        }
        let Some(pending) = self.pending.remove(state) else {
            return Err(restart(
                "this sign-in is unknown, was already used, or took too long",
            ));
        };
        let claims = self.provider.finish(code, pending).await?;
        self.check_domain(claims.email.as_deref())?;
        self.tenancy
            .sign_in_external(
                ExternalSignIn {
                    issuer: self.provider.issuer().to_owned(),
                    subject: claims.subject,
                    email: claims.email,
                    email_verified: claims.email_verified,
                    name: claims.name,
                },
                &self.policy.new_users,
            )
            .await
    }

    fn check_domain(&self, email: Option<&str>) -> Result<(), Error> {
        let allowed = &self.policy.email_domains;
        if allowed.is_empty() {
            return Ok(());
        }
        let domain = email
            .and_then(|e| e.rsplit_once('@'))
            .map(|(_, d)| d.to_ascii_lowercase());
        match domain {
            Some(d) if allowed.contains(&d) => Ok(()),
            Some(d) => Err(Error::Forbidden(format!(
                "addresses at {d} may not sign in to this Cairn; allowed: {}",
                allowed.join(", ")
            ))),
            None => Err(Error::Forbidden(
                "the identity provider gave no email address, and only some email domains may \
                 sign in"
                    .into(),
            )),
        }
    }
}
