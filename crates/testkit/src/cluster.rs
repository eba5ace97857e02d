//! A private ClickHouse cluster for a test that stops and starts its servers: one ZooKeeper and
//! N ClickHouse servers (the `cairn` cluster of `scripts/clickhouse-cluster.sh`) on free
//! loopback ports in a temporary directory, stopped and removed when dropped (and by a watchdog
//! if the test process dies first).
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;

/// A running private cluster.
pub struct PrivateCluster {
    script: PathBuf,
    dir: PathBuf,
    base: u16,
    nodes: u16,
}

/// A base port whose cluster ports (see `scripts/clickhouse-cluster.sh`) are all free: the one
/// `CAIRN_TEST_PRIVATE_CLUSTER_BASE_PORT` names (a machine shared by several test runs gives each
/// its own range), else one found among the free ports.
fn free_base(nodes: u16) -> u16 {
    let offsets: Vec<u16> = std::iter::once(0)
        .chain((1..=nodes).flat_map(|i| [10 * i, 10 * i + 1, 10 * i + 2]))
        .collect();
    if let Ok(base) = std::env::var("CAIRN_TEST_PRIVATE_CLUSTER_BASE_PORT") {
        let base: u16 = base
            .parse()
            .expect("CAIRN_TEST_PRIVATE_CLUSTER_BASE_PORT: a port number");
        for o in &offsets {
            assert!(
                TcpListener::bind(("127.0.0.1", base + o)).is_ok(),
                "port {} (CAIRN_TEST_PRIVATE_CLUSTER_BASE_PORT {base} + {o}) is in use",
                base + o
            );
        }
        return base;
    }
    for _ in 0..100 {
        let base = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if base > 64_000 {
            continue;
        }
        let free = offsets
            .iter()
            .all(|o| TcpListener::bind(("127.0.0.1", base + o)).is_ok());
        if free {
            return base;
        }
    }
    panic!("no free block of loopback ports for a cluster");
}

impl PrivateCluster {
    /// Starts ZooKeeper and `nodes` ClickHouse servers and waits until each answers.
    pub fn start(nodes: u16) -> PrivateCluster {
        let script = crate::repo_root().join("scripts/clickhouse-cluster.sh");
        let dir = tempfile::Builder::new()
            .prefix("cairn-ch-cluster-")
            .tempdir()
            .unwrap()
            .keep();
        let cluster = PrivateCluster {
            script,
            dir,
            base: free_base(nodes),
            nodes,
        };
        let watchdog = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop}; rm -rf '{dir}'",
            pid = std::process::id(),
            stop = cluster.command_line("stop"),
            dir = cluster.dir.display(),
        );
        let detached = format!("({watchdog}) </dev/null >/dev/null 2>&1 &");
        let status = Command::new("sh").args(["-c", &detached]).status();
        assert!(status.is_ok_and(|s| s.success()), "spawn watchdog");
        cluster.run(&["start"]);
        cluster
    }

    fn command_line(&self, cmd: &str) -> String {
        format!(
            "'{}' {cmd} --dir '{}' --base-port {} --nodes {} >/dev/null 2>&1",
            self.script.display(),
            self.dir.display(),
            self.base,
            self.nodes
        )
    }

    fn run(&self, args: &[&str]) -> String {
        let base = self.base.to_string();
        let nodes = self.nodes.to_string();
        let dir = self.dir.to_str().unwrap();
        let out = Command::new(&self.script)
            .args(args)
            .args(["--dir", dir, "--base-port", &base, "--nodes", &nodes])
            .output()
            .expect("run scripts/clickhouse-cluster.sh");
        assert!(
            out.status.success(),
            "clickhouse-cluster.sh {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// The HTTP URL of server `i` (1-based).
    pub fn url(&self, i: u16) -> String {
        format!("http://127.0.0.1:{}", self.base + 10 * i)
    }

    /// Kills server `i` with SIGKILL and waits until it is gone.
    pub fn kill(&self, i: u16) {
        self.run(&["node-stop", &i.to_string()]);
    }

    /// Starts server `i` again and waits until it answers.
    pub fn restart(&self, i: u16) {
        self.run(&["node-start", &i.to_string()]);
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let _ = Command::new("sh")
            .args(["-c", &self.command_line("stop")])
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
