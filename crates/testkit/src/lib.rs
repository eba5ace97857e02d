//! `cairn-testkit`: test support shared by the crates' integration tests (never a runtime
//! dependency): a real ClickHouse server for tests. With `CAIRN_TEST_CLICKHOUSE_URL` set, tests use
//! that server; otherwise the first caller starts a private server with `scripts/clickhouse.sh` on
//! a free loopback port in a temporary directory, and a watchdog stops it (and removes the
//! directory) once the test process exits. [`PrivateCluster`] starts a ClickHouse cluster of
//! its own for a test that kills and restarts its servers.
mod cluster;

pub use cluster::PrivateCluster;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// A free loopback port whose successor is free too (ClickHouse's HTTP and TCP ports).
pub fn free_port_pair() -> u16 {
    for _ in 0..50 {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if port < 65_000 && TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
    panic!("no free pair of loopback ports");
}

fn start_private_server() -> String {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let script = repo.join("scripts/clickhouse.sh");
    let dir = tempfile::Builder::new()
        .prefix("cairn-ch-test-")
        .tempdir()
        .unwrap()
        .keep();
    let port = free_port_pair().to_string();
    let dir_s = dir.to_str().unwrap();
    let out = Command::new(&script)
        .args(["start", "--port", &port, "--dir", dir_s])
        .output()
        .expect("run scripts/clickhouse.sh");
    assert!(
        out.status.success(),
        "clickhouse.sh start failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let watchdog = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
         '{script}' stop --port {port} --dir '{dir_s}' >/dev/null 2>&1; rm -rf '{dir_s}'",
        pid = std::process::id(),
        script = script.display(),
    );
    // Detached (the subshell is backgrounded and `sh` exits at once), with every standard
    // stream on /dev/null so that nothing waits for it.
    let detached = format!("({watchdog}) </dev/null >/dev/null 2>&1 &");
    let status = Command::new("sh").args(["-c", &detached]).status();
    assert!(status.is_ok_and(|s| s.success()), "spawn watchdog");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// The URL of the ClickHouse server for this test process.
pub fn server_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| match std::env::var("CAIRN_TEST_CLICKHOUSE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => start_private_server(),
    })
}

/// The ClickHouse cluster the tests' projections use (`CAIRN_TEST_CLICKHOUSE_CLUSTER`, the name
/// of a `remote_servers` entry of the server at [`server_url`], e.g. the `cairn` cluster of
/// `scripts/clickhouse-cluster.sh`); `None`: one server.
pub fn cluster() -> Option<String> {
    std::env::var("CAIRN_TEST_CLICKHOUSE_CLUSTER")
        .ok()
        .filter(|c| !c.is_empty())
}

/// The repository's root directory.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}
