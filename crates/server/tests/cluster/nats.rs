//! A three-server NATS JetStream cluster on loopback for tests: real `nats-server` processes,
//! each with its own store directory, on fixed ports the test names (18400–18499).
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct NatsCluster {
    servers: Vec<Option<Child>>,
    pub client_ports: Vec<u16>,
    dir: tempfile::TempDir,
}

fn binary() -> String {
    [
        "/usr/sbin/nats-server",
        "/usr/bin/nats-server",
        "/usr/local/bin/nats-server",
    ]
    .iter()
    .find(|p| std::path::Path::new(p).exists())
    .map(|p| p.to_string())
    .expect("nats-server is installed (Debian package nats-server)")
}

impl NatsCluster {
    /// Starts three servers: client ports `base`, `base + 1`, `base + 2`; cluster (route) ports
    /// `base + 5` to `base + 7`. Waits until each accepts connections.
    pub fn start(base: u16) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let routes: Vec<String> = (0..3)
            .map(|i| format!("nats-route://127.0.0.1:{}", base + 5 + i))
            .collect();
        let mut servers = Vec::new();
        let mut client_ports = Vec::new();
        for i in 0..3u16 {
            let port = base + i;
            let store = dir.path().join(format!("n{i}"));
            let conf = dir.path().join(format!("n{i}.conf"));
            std::fs::write(
                &conf,
                format!(
                    "server_name: n{i}\nlisten: 127.0.0.1:{port}\n\
                     jetstream {{ store_dir: \"{}\" }}\n\
                     cluster {{ name: cairn_test\n listen: 127.0.0.1:{}\n routes: [{}] }}\n",
                    store.display(),
                    base + 5 + i,
                    routes.join(", ")
                ),
            )
            .unwrap();
            let log = std::fs::File::create(dir.path().join(format!("n{i}.log"))).unwrap();
            let child = Command::new(binary())
                .arg("-c")
                .arg(&conf)
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("nats-server starts");
            servers.push(Some(child));
            client_ports.push(port);
        }
        let cluster = NatsCluster {
            servers,
            client_ports,
            dir,
        };
        for port in &cluster.client_ports {
            let started = Instant::now();
            while std::net::TcpStream::connect(("127.0.0.1", *port)).is_err() {
                assert!(
                    started.elapsed() < Duration::from_secs(20),
                    "nats-server on {port} did not start:\n{}",
                    cluster.logs()
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        cluster
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
