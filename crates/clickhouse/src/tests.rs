//! Error kinds and HTTPS URLs of the adapter's client.
use super::*;

#[test]
fn errors_are_told_apart() {
    use clickhouse::error::Error as E;
    let bad = |t: &str| kind_of(&E::BadResponse(t.into()));
    assert_eq!(
        bad("Code: 159, e.displayText() = DB::Exception: Timeout exceeded: elapsed 1.0 seconds"),
        ProjectionErrorKind::TooSlow
    );
    assert_eq!(
        bad("Code: 241. DB::Exception: Memory limit (for query) exceeded. (MEMORY_LIMIT_EXCEEDED)"),
        ProjectionErrorKind::TooLarge
    );
    assert_eq!(bad("Code: 62. Syntax error"), ProjectionErrorKind::Failed);
    assert_eq!(kind_of(&E::TimedOut), ProjectionErrorKind::Unavailable);
}

#[tokio::test]
async fn https_urls_are_supported() {
    // Nothing listens there: the error is the connection's, not "TLS is not built in".
    let p = ClickHouseProjection::new(ClickHouseConfig {
        url: "https://127.0.0.1:1".into(),
        ..Default::default()
    });
    let e = p.ping().await.expect_err("nothing listens on port 1");
    assert!(!e.message.contains("consider enabling"), "{e}");
    assert_eq!(e.kind, ProjectionErrorKind::Unavailable, "{e}");
}
