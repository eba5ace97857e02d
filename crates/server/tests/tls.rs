//! HTTPS served by Cairn itself: the xAPI answers over TLS with the configured certificate, the
//! session cookie is `Secure` by default then, a renewed certificate is served without a restart
//! (on SIGHUP and by polling), and a renewal that cannot be read keeps the current certificate.
mod common;

use cairn_server::app;
use rustls::pki_types::{CertificateDer, ServerName};
use std::path::Path;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A self-signed certificate for `localhost`, written as PEM; returns its DER.
fn write_cert(dir: &Path) -> Vec<u8> {
    let c = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    std::fs::write(dir.join("cert.pem"), c.cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), c.signing_key.serialize_pem()).unwrap();
    c.cert.der().to_vec()
}

/// A TLS connection to `addr` that trusts only `der` (fails when another certificate is served).
async fn connect(
    addr: std::net::SocketAddr,
    der: &[u8],
) -> std::io::Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
    cairn_server::tls::install_provider();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(der.to_vec())).unwrap();
    let cfg = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    tokio_rustls::TlsConnector::from(Arc::new(cfg))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
}

/// Connects trusting `der`, sends one request, and returns the certificate the server presented
/// with the response.
async fn get(addr: std::net::SocketAddr, der: &[u8], path: &str) -> (Vec<u8>, String) {
    let mut tls = connect(addr, der)
        .await
        .expect("TLS handshake with the expected certificate");
    let served = tls.get_ref().1.peer_certificates().unwrap()[0].to_vec();
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nX-Experience-API-Version: 2.0.0\r\nConnection: close\r\n\r\n"
    );
    tls.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tls.read_to_end(&mut out).await;
    (served, String::from_utf8_lossy(&out).into_owned())
}

async fn served_cert_becomes(addr: std::net::SocketAddr, der: &[u8]) {
    for _ in 0..100 {
        if connect(addr, der).await.is_ok() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the renewed certificate was never served");
}

#[tokio::test]
async fn serves_https_and_reloads_a_renewed_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let certs = tempfile::tempdir().unwrap();
    let first = write_cert(certs.path());
    let mut cfg = common::test_config(dir.path());
    cfg.tls_cert_file = Some(certs.path().join("cert.pem"));
    cfg.tls_key_file = Some(certs.path().join("key.pem"));
    cfg.tls_reload_seconds = 1;
    assert!(
        cfg.cookie_is_secure(),
        "HTTPS makes the session cookie Secure by default"
    );
    let running = app::start(cfg).await.expect("server starts with TLS");
    let addr = running.addr;

    let (served, resp) = get(addr, &first, "/xapi/about").await;
    assert_eq!(served, first);
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(resp.contains("\"version\""), "{resp}");

    // Plain HTTP on the HTTPS port gets no answer from the xAPI.
    let mut plain = tokio::net::TcpStream::connect(addr).await.unwrap();
    plain
        .write_all(b"GET /xapi/about HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = Vec::new();
    let _ = plain.read_to_end(&mut out).await;
    assert!(!String::from_utf8_lossy(&out).contains("\"version\""));

    // An unreadable renewal keeps the current certificate.
    std::fs::write(certs.path().join("cert.pem"), "not a certificate").unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let (served, resp) = get(addr, &first, "/xapi/about").await;
    assert_eq!(served, first);
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");

    // A renewed certificate is picked up by polling, without a restart.
    let second = write_cert(certs.path());
    served_cert_becomes(addr, &second).await;
    let (served, _) = get(addr, &second, "/xapi/about").await;
    assert_eq!(served, second);

    // And at once on SIGHUP.
    let third = write_cert(certs.path());
    unsafe { libc::kill(std::process::id() as i32, libc::SIGHUP) };
    served_cert_becomes(addr, &third).await;
    running.stop().await;
}

#[tokio::test]
async fn tls_settings_come_in_pairs_and_bad_files_stop_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = common::test_config(dir.path());
    cfg.tls_cert_file = Some(dir.path().join("missing.pem"));
    let err = cfg.validate().unwrap_err().to_string();
    assert!(err.contains("tls_cert_file and tls_key_file"), "{err}");
    cfg.tls_key_file = Some(dir.path().join("missing-key.pem"));
    let err = match app::start(cfg).await {
        Ok(_) => panic!("started without a certificate"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("missing.pem"), "{err}");
    // Without TLS the cookie is not Secure unless asked.
    let plain = common::test_config(dir.path());
    assert!(!plain.cookie_is_secure());
}
