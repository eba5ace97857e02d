//! A ClickHouse reached over `https://` whose certificate a private authority signed
//! (`clickhouse_ca_file`): a TLS front for the test ClickHouse, a projection that migrates and
//! queries through it when it trusts the authority, and one that refuses it when it does not.
use cairn_clickhouse::{ClickHouseConfig, ClickHouseProjection};
use std::path::Path;
use std::sync::Arc;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// Serves TLS for `localhost` on a free loopback port and relays every connection to the test
/// ClickHouse's plain HTTP port. Returns the port and the certificate's PEM.
async fn tls_front() -> (u16, String) {
    cairn_server::tls::install_provider();
    let c = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let pem = c.cert.pem();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(c.signing_key.serialize_der()));
    let cfg = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![CertificateDer::from(c.cert.der().to_vec())], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let upstream = cairn_testkit::server_url()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let upstream = upstream.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut plain) = tokio::net::TcpStream::connect(&upstream).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    (port, pem)
}

fn config(port: u16, ca_certs: Vec<Vec<u8>>) -> ClickHouseConfig {
    ClickHouseConfig {
        url: format!("https://localhost:{port}"),
        database: format!("cairn_tls_{}", uuid::Uuid::new_v4().simple()),
        ca_certs,
        ..Default::default()
    }
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_https_clickhouse_signed_by_a_private_authority_is_trusted_only_with_its_file() {
    let (port, pem) = tls_front().await;
    let dir = tempfile::tempdir().unwrap();

    // The file as an operator writes it, read the way the server reads `clickhouse_ca_file`.
    let ca = cairn_server::config::clickhouse_ca_certs(&write(dir.path(), "ca.pem", &pem))
        .expect("a PEM certificate is accepted");
    assert_eq!(ca.len(), 1);
    let p = ClickHouseProjection::connect(config(port, ca))
        .await
        .expect("connects over TLS trusting the authority");
    cairn_core::Projection::migrate(&p)
        .await
        .expect("migrates over TLS");
    let tables: u64 = p
        .client()
        .query("SELECT count() FROM system.tables WHERE database = currentDatabase()")
        .fetch_one()
        .await
        .unwrap();
    assert!(
        tables > 5,
        "the schema was created through the TLS front: {tables}"
    );
    p.client()
        .query(&format!("DROP DATABASE IF EXISTS {}", p.database()))
        .execute()
        .await
        .unwrap();

    // Without the authority (public roots only), the same front is refused at the handshake,
    // and trusting it again connects: the certificate was the only difference.
    let refused = ClickHouseProjection::connect(config(port, Vec::new())).await;
    let e = refused.err().expect("an unknown authority is refused");
    assert!(
        e.to_string().contains("Connect"),
        "refused on connecting: {e}"
    );
    let again = cairn_server::config::clickhouse_ca_certs(&dir.path().join("ca.pem")).unwrap();
    let p = ClickHouseProjection::connect(config(port, again))
        .await
        .expect("trusted again");
    p.client()
        .query(&format!("DROP DATABASE IF EXISTS {}", p.database()))
        .execute()
        .await
        .unwrap();

    // A file without a certificate, or with a damaged one, is a configuration error.
    let empty = cairn_server::config::clickhouse_ca_certs(&write(dir.path(), "e.pem", "nothing"))
        .expect_err("no certificate in it");
    assert!(empty.contains("no PEM certificate"), "{empty}");
    let broken = pem.replace("MII", "MIX");
    assert!(
        cairn_server::config::clickhouse_ca_certs(&write(dir.path(), "b.pem", &broken)).is_err(),
        "a damaged certificate is refused"
    );
}
