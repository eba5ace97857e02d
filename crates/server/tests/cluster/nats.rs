//! A three-server NATS JetStream cluster on loopback for tests: real `nats-server` processes,
//! each with its own store directory, on fixed ports the test names (18400–18499).
#![allow(dead_code)]
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct NatsCluster {
    servers: Vec<Option<Child>>,
    pub client_ports: Vec<u16>,
    dir: tempfile::TempDir,
}

/// The `nats-server` binary. Its absence fails the test (it is never skipped): `scripts/test.sh`
/// installs the Debian package `nats-server`.
fn binary() -> String {
    [
        "/usr/sbin/nats-server",
        "/usr/bin/nats-server",
        "/usr/local/bin/nats-server",
    ]
    .iter()
    .find(|p| std::path::Path::new(p).exists())
    .map(|p| p.to_string())
    .expect("nats-server is not installed: `apt-get install nats-server` (scripts/test.sh does)")
}

impl NatsCluster {
    /// Starts three servers: client ports `base`, `base + 1`, `base + 2`; cluster (route) ports
    /// `base + 5` to `base + 7`. Waits until each accepts connections.
    pub fn start(base: u16) -> Self {
        Self::start_with(base, "")
    }

    /// As [`NatsCluster::start`], with `extra` added to each server's configuration (for
    /// instance `max_payload: 65536`).
    pub fn start_with(base: u16, extra: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let routes: Vec<String> = (0..3)
            .map(|i| format!("nats-route://127.0.0.1:{}", base + 5 + i))
            .collect();
        let mut client_ports = Vec::new();
        for i in 0..3u16 {
            let port = base + i;
            let store = dir.path().join(format!("n{i}"));
            std::fs::write(
                dir.path().join(format!("n{i}.conf")),
                format!(
                    "server_name: n{i}\nlisten: 127.0.0.1:{port}\n\
                     jetstream {{ store_dir: \"{}\" }}\n\
                     cluster {{ name: cairn_test\n listen: 127.0.0.1:{}\n routes: [{}] }}\n{extra}\n",
                    store.display(),
                    base + 5 + i,
                    routes.join(", ")
                ),
            )
            .unwrap();
            client_ports.push(port);
        }
        let mut cluster = NatsCluster {
            servers: vec![None, None, None],
            client_ports,
            dir,
        };
        for i in 0..3 {
            cluster.spawn(i);
        }
        for i in 0..3 {
            cluster.wait_listening(i);
        }
        cluster
    }

    fn spawn(&mut self, i: usize) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join(format!("n{i}.log")))
            .unwrap();
        let child = Command::new(binary())
            .arg("-c")
            .arg(self.dir.path().join(format!("n{i}.conf")))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("nats-server starts");
        self.servers[i] = Some(child);
    }

    fn wait_listening(&self, i: usize) {
        let port = self.client_ports[i];
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "nats-server on {port} did not start:\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn dir(&self) -> std::path::PathBuf {
        self.dir.path().to_path_buf()
    }

    pub fn urls(&self) -> Vec<String> {
        self.client_ports
            .iter()
            .map(|p| format!("nats://127.0.0.1:{p}"))
            .collect()
    }

    /// `kill -9` of server `i`.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut c) = self.servers[i].take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }

    /// Starts server `i` again on its store (after [`Self::kill`]).
    pub fn restart(&mut self, i: usize) {
        assert!(self.servers[i].is_none(), "server {i} is running");
        self.spawn(i);
        self.wait_listening(i);
    }

    pub fn logs(&self) -> String {
        (0..3)
            .map(|i| {
                std::fs::read_to_string(self.dir.path().join(format!("n{i}.log")))
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join("\n---\n")
    }
}

impl Drop for NatsCluster {
    fn drop(&mut self) {
        for i in 0..3 {
            self.kill(i);
        }
    }
}
