//! The HTTP client of the projection: the `clickhouse` crate's own (rustls with the public
//! roots) or, with extra certificates (`clickhouse_ca_file`), the same client trusting them too.
use clickhouse::Client;

/// A client trusting the public roots and `ca_certs` (DER). A certificate rustls cannot use is
/// skipped with a warning (the server checks the file before it gets here).
#[cfg(feature = "tls")]
pub(crate) fn client(ca_certs: &[Vec<u8>]) -> Client {
    use hyper_util::client::legacy::Client as HyperClient;
    use hyper_util::client::legacy::connect::HttpConnector;
    use hyper_util::rt::TokioExecutor;
    use rustls::pki_types::CertificateDer;
    if ca_certs.is_empty() {
        return Client::default();
    }
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for der in ca_certs {
        if let Err(e) = roots.add(CertificateDer::from(der.clone())) {
            tracing::warn!(error = %e, "a certificate of clickhouse_ca_file is not usable: skipped");
        }
    }
    // The process-wide provider when the server installed one; else ring's, which the
    // `clickhouse` crate's own client uses too (post-quantum key exchange is not in ring).
    #[allow(deprecated)]
    let provider = rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| std::sync::Arc::new(rustls::crypto::ring::default_provider()));
    let tls = match rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
    {
        Ok(b) => b.with_root_certificates(roots).with_no_client_auth(),
        Err(e) => {
            tracing::warn!(error = %e, "no TLS configuration for ClickHouse: public roots only");
            return Client::default();
        }
    };
    let mut http = HttpConnector::new();
    http.set_keepalive(Some(std::time::Duration::from_secs(60)));
    http.enforce_http(false);
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    // ClickHouse closes idle connections after 3 s; give them up before it does.
    let hyper = HyperClient::builder(TokioExecutor::new())
        .pool_idle_timeout(std::time::Duration::from_secs(2))
        .build(connector);
    Client::with_http_client(hyper)
}

/// Without TLS support only plain `http://` URLs work, and there is nothing to trust.
#[cfg(not(feature = "tls"))]
pub(crate) fn client(_ca_certs: &[Vec<u8>]) -> Client {
    Client::default()
}
