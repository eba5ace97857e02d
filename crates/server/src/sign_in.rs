//! Wiring of sign-in: single sign-on (the OpenID Connect adapter behind the core's flow) from
//! the `oidc_*` settings.
use crate::config::Config;
use cairn_core::sso::{SsoPolicy, SsoService};
use cairn_core::tenancy::{DEFAULT_ORG, NewUsers, TenancyService};
use cairn_oidc::{OidcConfig, OpenIdProvider};
use std::sync::Arc;
use std::time::Duration;

/// Single sign-on, when `oidc_issuer_url` is set. `base` is where people open Cairn.
pub fn sso(
    cfg: &Config,
    base: &str,
    tenancy: TenancyService,
) -> Result<Option<SsoService>, String> {
    let Some(issuer) = &cfg.oidc_issuer_url else {
        return Ok(None);
    };
    let redirect_url = cfg
        .oidc_redirect_url
        .clone()
        .unwrap_or_else(|| format!("{base}/api/v1/auth/oidc/callback"));
    let provider = OpenIdProvider::new(OidcConfig {
        issuer_url: issuer.clone(),
        client_id: cfg.oidc_client_id.clone().unwrap_or_default(),
        client_secret: cfg.oidc_client_secret.clone().filter(|s| !s.is_empty()),
        redirect_url,
        metadata_max_age: Duration::from_secs(cfg.oidc_metadata_refresh_minutes * 60),
        http_timeout: Duration::from_secs(cfg.oidc_http_timeout_seconds),
    })?;
    let policy = SsoPolicy {
        provider_name: cfg.oidc_provider_name.clone(),
        email_domains: cfg
            .oidc_email_domains
            .iter()
            .map(|d| d.trim().to_ascii_lowercase())
            .collect(),
        new_users: NewUsers {
            org: DEFAULT_ORG,
            role: cfg.oidc_new_user_role(),
        },
        flow_ttl: Duration::from_secs(cfg.oidc_flow_minutes * 60),
        flow_capacity: cfg.oidc_flows_max,
    };
    Ok(Some(SsoService::new(Arc::new(provider), policy, tenancy)))
}
