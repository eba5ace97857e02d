//! Settings of the HTTP side: the listener and its TLS, request and page sizes, sessions, rate
//! limits, the default client's credentials and the origins trusted for admin writes.
use super::{Config, ConfigError, positive};

impl Config {
    pub(super) fn validate_http(&self) -> Result<(), ConfigError> {
        positive(&[
            ("page_max", self.page_max),
            ("max_body_mib", self.max_body_mib),
            ("max_document_kib", self.max_document_kib),
            ("session_idle_minutes", self.session_idle_minutes as usize),
        ])?;
        if self.tls_cert_file.is_some() != self.tls_key_file.is_some() {
            return Err(ConfigError::Invalid(
                "tls_cert_file and tls_key_file must be set together".into(),
            ));
        }
        if self.default_client_key.is_some() != self.default_client_secret.is_some() {
            return Err(ConfigError::Invalid(
                "default_client_key and default_client_secret must be set together".into(),
            ));
        }
        if let Some(s) = &self.default_client_secret
            && s.chars().count() < self.client_secret_min_chars
        {
            return Err(ConfigError::Invalid(format!(
                "default_client_secret has {} characters; client_secret_min_chars asks for at \
                 least {} (a long random string, e.g. `openssl rand -hex 24`)",
                s.chars().count(),
                self.client_secret_min_chars
            )));
        }
        if let Some(o) = self
            .admin_allowed_origins
            .iter()
            .find(|o| !o.starts_with("http://") && !o.starts_with("https://"))
        {
            return Err(ConfigError::Invalid(format!(
                "admin_allowed_origins: {o:?} is not an origin (scheme://host[:port])"
            )));
        }
        Ok(())
    }

    /// The certificate files when Cairn serves HTTPS itself.
    pub fn tls(&self) -> Option<crate::tls::TlsFiles> {
        Some(crate::tls::TlsFiles {
            cert: self.tls_cert_file.clone()?,
            key: self.tls_key_file.clone()?,
        })
    }

    /// Whether the session cookie is marked `Secure`: as set, else when serving HTTPS.
    pub fn cookie_is_secure(&self) -> bool {
        self.cookie_secure.unwrap_or(self.tls_cert_file.is_some())
    }

    /// The HTTP adapter's rate limits.
    pub fn rate_limits(&self) -> cairn_http::limits::RateLimitConfig {
        use cairn_http::limits::{Rate, RateLimitConfig};
        RateLimitConfig {
            client: Rate {
                per_second: self.rate_limit_client_per_second,
                burst: self.rate_limit_client_burst,
            },
            user: Rate {
                per_second: self.rate_limit_user_per_second,
                burst: self.rate_limit_user_burst,
            },
            login_per_minute: self.login_attempts_per_minute,
            auth_failures_per_minute: self.auth_failures_per_minute,
            auth_failures_per_minute_address: self.auth_failures_per_minute_address,
        }
    }
}
