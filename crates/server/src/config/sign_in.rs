//! The sign-in settings of [`Config`]: the first run's set-up link, password sign-in and single
//! sign-on with OpenID Connect. Checked with the rest of the configuration at start-up.
use super::{Config, ConfigError, RoleSetting};
use cairn_core::tenancy::Role;
use std::time::Duration;

fn invalid(msg: String) -> ConfigError {
    ConfigError::Invalid(msg)
}

fn http_url(name: &str, v: &str) -> Result<(), ConfigError> {
    if v.starts_with("http://") || v.starts_with("https://") {
        Ok(())
    } else {
        Err(invalid(format!("{name} must be an http(s) URL, not {v:?}")))
    }
}

impl Config {
    pub(crate) fn validate_sign_in(&self) -> Result<(), ConfigError> {
        for (name, v) in [
            ("setup_link_hours", self.setup_link_hours),
            ("oidc_flow_minutes", self.oidc_flow_minutes),
            ("oidc_flows_max", self.oidc_flows_max),
            (
                "oidc_metadata_refresh_minutes",
                self.oidc_metadata_refresh_minutes,
            ),
            ("oidc_http_timeout_seconds", self.oidc_http_timeout_seconds),
        ] {
            if v == 0 {
                return Err(invalid(format!("{name} must be greater than 0")));
            }
        }
        if let Some(u) = &self.public_url {
            http_url("public_url", u)?;
        }
        if let Some(u) = &self.oidc_redirect_url {
            http_url("oidc_redirect_url", u)?;
        }
        match &self.oidc_issuer_url {
            Some(u) => {
                http_url("oidc_issuer_url", u)?;
                if self.oidc_client_id.as_deref().is_none_or(str::is_empty) {
                    return Err(invalid(
                        "oidc_client_id is required with oidc_issuer_url".into(),
                    ));
                }
            }
            None if !self.password_login => {
                return Err(invalid(
                    "password_login = false needs single sign-on (oidc_issuer_url): nobody \
                     could sign in to the web app"
                        .into(),
                ));
            }
            None => {}
        }
        if self.oidc_provider_name.trim().is_empty() || self.oidc_provider_name.len() > 100 {
            return Err(invalid(
                "oidc_provider_name must be 1 to 100 characters".into(),
            ));
        }
        if let Some(d) = self
            .oidc_email_domains
            .iter()
            .find(|d| d.is_empty() || d.contains('@') || d.contains(char::is_whitespace))
        {
            return Err(invalid(format!(
                "oidc_email_domains: {d:?} is not a domain such as example.org"
            )));
        }
        Ok(())
    }

    /// Where people open Cairn: `public_url`, else the scheme and the address listened on.
    pub fn public_base(&self, listening: std::net::SocketAddr) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None => {
                let scheme = if self.tls().is_some() {
                    "https"
                } else {
                    "http"
                };
                format!("{scheme}://{listening}")
            }
        }
    }

    pub fn setup_link_valid_for(&self) -> Duration {
        Duration::from_secs(self.setup_link_hours.saturating_mul(3600))
    }

    /// The role of users created by single sign-on (None: no role).
    pub fn oidc_new_user_role(&self) -> Option<Role> {
        match self.oidc_default_role {
            RoleSetting::None => None,
            RoleSetting::Viewer => Some(Role::Viewer),
            RoleSetting::Analyst => Some(Role::Analyst),
            RoleSetting::Admin => Some(Role::Admin),
            RoleSetting::Owner => Some(Role::Owner),
        }
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closures return figment::Error
mod tests {
    use super::*;
    use figment::Figment;

    #[test]
    fn sign_in_settings_are_checked() {
        figment::Jail::expect_with(|jail| {
            let cfg = Config::load(None, Figment::new()).map_err(|e| e.to_string())?;
            assert!(cfg.password_login && cfg.oidc_issuer_url.is_none());
            assert_eq!(cfg.setup_link_valid_for(), Duration::from_secs(24 * 3600));
            jail.set_env("CAIRN_PASSWORD_LOGIN", "false");
            let err = Config::load(None, Figment::new())
                .unwrap_err()
                .to_string()
                .to_lowercase();
            assert!(err.contains("oidc_issuer_url"), "{err}");
            jail.set_env("CAIRN_OIDC_ISSUER_URL", "https://id.example.org");
            let err = Config::load(None, Figment::new())
                .unwrap_err()
                .to_string()
                .to_lowercase();
            assert!(err.contains("oidc_client_id"), "{err}");
            jail.set_env("CAIRN_OIDC_CLIENT_ID", "cairn");
            jail.set_env("CAIRN_OIDC_EMAIL_DOMAINS", "[example.org, Example.NET]");
            jail.set_env("CAIRN_OIDC_DEFAULT_ROLE", "analyst");
            let cfg = Config::load(None, Figment::new()).map_err(|e| e.to_string())?;
            assert_eq!(cfg.oidc_email_domains, ["example.org", "Example.NET"]);
            assert_eq!(cfg.oidc_new_user_role(), Some(Role::Analyst));
            jail.set_env("CAIRN_OIDC_DEFAULT_ROLE", "boss");
            let err = Config::load(None, Figment::new())
                .unwrap_err()
                .to_string()
                .to_lowercase();
            assert!(err.contains("oidc_default_role"), "{err}");
            jail.set_env("CAIRN_OIDC_DEFAULT_ROLE", "none");
            jail.set_env("CAIRN_OIDC_EMAIL_DOMAINS", "[\"a@example.org\"]");
            let err = Config::load(None, Figment::new())
                .unwrap_err()
                .to_string()
                .to_lowercase();
            assert!(err.contains("oidc_email_domains"), "{err}");
            jail.create_file("cairn.toml", "oidc_issuer = \"https://x\"\n")?;
            let err = Config::load(Some("cairn.toml".as_ref()), Figment::new())
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("oidc_issuer"),
                "unknown keys are refused: {err}"
            );
            Ok(())
        });
    }
}
