//! `cairn-oidc` is the OpenID Connect adapter: it implements the core's
//! [`IdentityProvider`] port with the `openidconnect` crate. Discovery runs on first use (so
//! Cairn starts while the provider is down) and again once the metadata is older than
//! `metadata_max_age`, and at once when an ID token is signed by a key the cached JWKS lacks (the
//! provider rotated its keys). The HTTP client follows no redirects (the library's advice
//! against request forgery) and uses rustls with the ring provider, as the server's TLS does.
use async_trait::async_trait;
use cairn_core::Error;
use cairn_core::sso::{Authorization, Claims, IdentityProvider, PendingSignIn};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

/// The provider's settings.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// The issuer identifier; discovery reads `<issuer>/.well-known/openid-configuration`.
    pub issuer_url: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    /// Cairn's callback, registered at the provider: `<public URL>/api/v1/auth/oidc/callback`.
    pub redirect_url: String,
    /// Discovery (metadata and keys) is repeated once it is older than this.
    pub metadata_max_age: Duration,
    /// A call to the provider gives up after this long.
    pub http_timeout: Duration,
}

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

struct Discovered {
    metadata: CoreProviderMetadata,
    at: Instant,
}

pub struct OpenIdProvider {
    cfg: OidcConfig,
    issuer: IssuerUrl,
    redirect: RedirectUrl,
    http: openidconnect::reqwest::Client,
    discovered: RwLock<Option<Arc<Discovered>>>,
}

fn unreachable(issuer: &str, e: impl std::fmt::Display) -> Error {
    Error::Unavailable(format!(
        "the identity provider {issuer} cannot be reached or answered wrongly: {e}"
    ))
}

impl OpenIdProvider {
    /// Checks the settings; contacts the provider only when a sign-in starts.
    pub fn new(cfg: OidcConfig) -> Result<Self, String> {
        let issuer = IssuerUrl::new(cfg.issuer_url.clone())
            .map_err(|e| format!("oidc_issuer_url {:?} is not a URL: {e}", cfg.issuer_url))?;
        let redirect = RedirectUrl::new(cfg.redirect_url.clone())
            .map_err(|e| format!("oidc_redirect_url {:?} is not a URL: {e}", cfg.redirect_url))?;
        let http = openidconnect::reqwest::ClientBuilder::new()
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(cfg.http_timeout)
            .build()
            .map_err(|e| format!("cannot build the HTTP client for OpenID Connect: {e}"))?;
        Ok(OpenIdProvider {
            cfg,
            issuer,
            redirect,
            http,
            discovered: RwLock::new(None),
        })
    }

    /// The provider's metadata and keys: cached, discovered again when stale or `fresh`.
    async fn discovered(&self, fresh: bool) -> Result<Arc<Discovered>, Error> {
        if !fresh
            && let Some(d) = self.discovered.read().await.as_ref()
            && d.at.elapsed() < self.cfg.metadata_max_age
        {
            return Ok(d.clone());
        }
        let metadata = CoreProviderMetadata::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(|e| unreachable(&self.cfg.issuer_url, error_chain(&e)))?;
        let d = Arc::new(Discovered {
            metadata,
            at: Instant::now(),
        });
        *self.discovered.write().await = Some(d.clone());
        Ok(d)
    }

    fn client(&self, d: &Discovered) -> Client {
        CoreClient::from_provider_metadata(
            d.metadata.clone(),
            ClientId::new(self.cfg.client_id.clone()),
            self.cfg.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(self.redirect.clone())
    }

    fn verify(
        &self,
        d: &Discovered,
        token: &CoreIdToken,
        nonce: &Nonce,
    ) -> Result<Claims, ClaimsVerificationError> {
        let client = self.client(d);
        let c = token.claims(&client.id_token_verifier(), nonce)?;
        Ok(Claims {
            subject: c.subject().to_string(),
            email: c.email().map(|e| e.to_string()),
            email_verified: c.email_verified().unwrap_or(false),
            name: c.name().and_then(|n| n.get(None)).map(|n| n.to_string()),
        })
    }
}

/// An error with its causes (the library's errors keep the useful part in their sources).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}

#[async_trait]
impl IdentityProvider for OpenIdProvider {
    fn issuer(&self) -> &str {
        self.issuer.as_str()
    }

    async fn authorize(&self) -> Result<Authorization, Error> {
        let d = self.discovered(false).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = self
            .client(&d)
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok(Authorization {
            url: url.to_string(),
            state: state.secret().clone(),
            pending: PendingSignIn {
                nonce: nonce.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
            },
        })
    }

    async fn finish(&self, code: &str, pending: PendingSignIn) -> Result<Claims, Error> {
        let d = self.discovered(false).await?;
        let response = self
            .client(&d)
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| unreachable(&self.cfg.issuer_url, e))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                openidconnect::RequestTokenError::ServerResponse(r) => {
                    Error::BadRequest(format!("the identity provider refused the sign-in: {r}"))
                }
                other => unreachable(&self.cfg.issuer_url, error_chain(&other)),
            })?;
        let token = response.id_token().ok_or_else(|| {
            Error::BadRequest(
                "the identity provider sent no ID token (is `openid` allowed?)".into(),
            )
        })?;
        let nonce = Nonce::new(pending.nonce);
        let refused = |e: ClaimsVerificationError| {
            Error::BadRequest(format!(
                "the identity provider's ID token is not valid: {}",
                error_chain(&e)
            ))
        };
        let (d, claims) = match self.verify(&d, token, &nonce) {
            Ok(c) => (d, c),
            // Signed by a key we do not know yet: the provider rotated its keys.
            Err(ClaimsVerificationError::SignatureVerification(_)) => {
                tracing::info!(issuer = %self.cfg.issuer_url, "ID token key unknown: fetching the provider's keys again");
                let d = self.discovered(true).await?;
                let c = self.verify(&d, token, &nonce).map_err(refused)?;
                (d, c)
            }
            Err(e) => return Err(refused(e)),
        };
        if claims.email.is_some() || d.metadata.userinfo_endpoint().is_none() {
            return Ok(claims);
        }
        // Providers may keep the email for the UserInfo endpoint (the ID token of the code
        // flow then carries only the subject).
        self.user_info(&d, response.access_token().clone(), claims)
            .await
    }
}

impl OpenIdProvider {
    async fn user_info(
        &self,
        d: &Discovered,
        token: openidconnect::AccessToken,
        claims: Claims,
    ) -> Result<Claims, Error> {
        let subject = openidconnect::SubjectIdentifier::new(claims.subject.clone());
        let info: openidconnect::core::CoreUserInfoClaims = self
            .client(d)
            .user_info(token, Some(subject))
            .map_err(|e| unreachable(&self.cfg.issuer_url, e))?
            .request_async(&self.http)
            .await
            .map_err(|e| unreachable(&self.cfg.issuer_url, error_chain(&e)))?;
        Ok(Claims {
            email: info.email().map(|e| e.to_string()),
            email_verified: info.email_verified().unwrap_or(false),
            name: claims
                .name
                .or_else(|| info.name().and_then(|n| n.get(None)).map(|n| n.to_string())),
            subject: claims.subject,
        })
    }
}
