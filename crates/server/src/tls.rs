//! HTTPS for Cairn itself: rustls (ring) with a certificate chain and a private key from PEM
//! files. The files are read again when they change (checked every `tls_reload_seconds`) and on
//! `SIGHUP`, so a renewed certificate is served without a restart; a renewal that cannot be read
//! is logged and the current certificate stays. Also the one TLS client configuration of
//! Cairn's outgoing connections (OTLP, forwarding): the public roots plus an optional private
//! authority's PEM file.
use axum_server::tls_rustls::RustlsConfig;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use tokio::sync::watch;

/// Where the certificate chain and its private key are.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Reads the files into a server configuration (HTTP/1.1 and HTTP/2 by ALPN).
pub async fn load(files: &TlsFiles) -> anyhow::Result<RustlsConfig> {
    use anyhow::Context;
    install_provider();
    RustlsConfig::from_pem_file(&files.cert, &files.key)
        .await
        .with_context(|| {
            format!(
                "TLS: cannot use certificate {} with key {}",
                files.cert.display(),
                files.key.display()
            )
        })
}

/// Several crates may bring rustls; the process-wide provider is ring, chosen once (ring needs
/// no C toolchain beyond what the build already has, unlike aws-lc).
#[allow(deprecated)]
pub fn install_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The certificates of the PEM file `path`, which the setting `setting` names (in errors): at
/// least one, each one rustls can trust.
pub fn pem_certificates(
    setting: &str,
    path: &Path,
) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>, String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let at = || format!("{setting} {}", path.display());
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{}: {e}", at()))?;
    if certs.is_empty() {
        return Err(format!("{}: no PEM certificate in it", at()));
    }
    let mut roots = rustls::RootCertStore::empty();
    for cert in &certs {
        roots
            .add(cert.clone())
            .map_err(|e| format!("{}: {e}", at()))?;
    }
    Ok(certs)
}

/// A client configuration on the process-wide provider (ring) trusting the public web roots
/// and `extra` (a private authority's certificates).
pub fn client_config(
    extra: Vec<rustls::pki_types::CertificateDer<'static>>,
) -> Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for cert in extra {
        roots.add(cert).map_err(|e| e.to_string())?;
    }
    install_provider();
    let provider = rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .ok_or("no TLS provider is installed")?;
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

fn modified(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// Reloads `config` from `files` when they change (polled every `every`; `None`: only on
/// `SIGHUP`) until `stop` turns true.
pub fn spawn_reloader(
    config: RustlsConfig,
    files: TlsFiles,
    every: Option<Duration>,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let stamp = |f: &TlsFiles| (modified(&f.cert), modified(&f.key));
        let mut seen = stamp(&files);
        #[cfg(unix)]
        let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
        loop {
            let poll = async {
                match every {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending().await,
                }
            };
            #[cfg(unix)]
            let signal = async {
                match hup.as_mut() {
                    Some(h) => {
                        h.recv().await;
                    }
                    None => std::future::pending().await,
                }
            };
            #[cfg(not(unix))]
            let signal = std::future::pending::<()>();
            let forced = tokio::select! {
                _ = stop.wait_for(|s| *s) => return,
                _ = poll => false,
                _ = signal => true,
            };
            let now = stamp(&files);
            if !forced && now == seen {
                continue;
            }
            match config.reload_from_pem_file(&files.cert, &files.key).await {
                Ok(()) => {
                    seen = now;
                    tracing::info!(cert = %files.cert.display(), "TLS certificate reloaded");
                }
                Err(e) => tracing::warn!(
                    cert = %files.cert.display(),
                    error = %e,
                    "TLS certificate not reloaded; the current one stays"
                ),
            }
        }
    })
}
