//! The scenarios. Write scenarios (`ingest`, `fill`) live in [`write`], read scenarios
//! (`reads`, `mixed`) in [`read`], ingest and reads spread over a cluster's nodes (`cluster`) in
//! [`cluster`], the analytics API (`aggregates`) in [`analytics`], forwarding
//! under ingest (`forward`) in [`forward`], erasing a person under ingest (`erase`) in
//! [`erase`]; what they
//! share is here.
mod analytics;
mod cluster;
mod erase;
mod forward;
mod read;
mod write;

pub use analytics::{AggregatesArgs, aggregates};
pub use cluster::{ClusterArgs, cluster};
pub use erase::{EraseArgs, erase};
pub use forward::{ForwardArgs, forward};
pub use read::{MixedArgs, ReadArgs, mixed, reads};
pub use write::{FillArgs, IngestArgs, fill, ingest};

use crate::Common;
use crate::client::{Conn, Target};
use crate::stats::{CpuWindow, rss_mib};
use crate::workload::{Pool, Universe};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub type Result<T = ()> = std::result::Result<T, String>;

/// `v` percent-encoded for a query string.
pub fn enc(v: &str) -> String {
    form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

/// The site administrator `load-tests/run.sh` creates (`cairn admin site-admin`), and the store
/// the admin API scenarios work on.
#[derive(clap::Args, Clone)]
pub struct Admin {
    /// The site administrator's email.
    #[arg(long, default_value = "load-admin@example.com")]
    pub email: String,
    #[arg(
        long,
        env = "LOAD_ADMIN_PASSWORD",
        default_value = "load-admin-password"
    )]
    pub password: String,
    /// The store `fill` writes to (the default store).
    #[arg(long, default_value = "00000000-0000-0000-0000-000000000001")]
    pub store: String,
}

/// The universe and statement pool, built once from the seed.
pub struct Setup {
    /// The nodes, in `--addr` order.
    pub targets: Vec<Target>,
    pub universe: Arc<Universe>,
    pub pool: Arc<Pool>,
}

impl Setup {
    pub fn new(c: &Common) -> Self {
        let started = Instant::now();
        let universe = Arc::new(Universe::new(
            c.seed,
            c.actors,
            c.activities,
            c.registrations,
        ));
        let pool = Arc::new(Pool::new(&universe, c.seed, c.pool));
        println!(
            "seed {} · {} actors · {} activities · {} registrations · pool {} statements, mean {} bytes (built in {:.1} s)",
            c.seed,
            c.actors,
            c.activities,
            c.registrations,
            c.pool,
            pool.mean_len(),
            started.elapsed().as_secs_f64()
        );
        Setup {
            targets: c
                .addrs
                .iter()
                .map(|a| Target::new(*a, &c.key, &c.secret))
                .collect(),
            universe,
            pool,
        }
    }

    /// A connection to the first node.
    pub fn conn(&self) -> Conn {
        self.conn_at(0)
    }

    /// A connection to node `i` modulo the number of nodes (round-robin over a cluster).
    pub fn conn_at(&self, i: usize) -> Conn {
        Conn::new(self.targets[i % self.targets.len()].clone())
    }
}

/// A CPU window over the server, ClickHouse, the `--cpu` classes and the generator.
pub fn cpu_window(c: &Common) -> CpuWindow {
    let mut classes = Vec::new();
    classes.extend(c.server_pid.map(|p| ("server".to_string(), vec![p])));
    classes.extend(
        c.clickhouse_pid
            .map(|p| ("clickhouse".to_string(), vec![p])),
    );
    classes.extend(c.cpu.iter().cloned());
    CpuWindow::classes(classes)
}

/// Prints the CPU split over the window and the server's memory.
pub fn footer(c: &Common, cpu: &CpuWindow, elapsed: Duration) {
    println!("{}", cpu.report(elapsed));
    if let Some((rss, peak)) = c.server_pid.and_then(rss_mib) {
        println!("server memory: resident {rss:.0} MiB, peak {peak:.0} MiB");
    }
}

/// A salt for statement ids that differs between runs (ids must be new) unless given.
pub fn salt_or_fresh(salt: Option<u64>) -> u64 {
    salt.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
    })
}

/// Samples projection lag every `every`: now minus the newest `stored` that ClickHouse holds.
/// Runs until `until`; returns the samples in seconds.
pub async fn lag_probe(c: Common, every: Duration, from: Instant, until: Instant) -> Vec<f64> {
    let mut conn = Conn::new(Target::plain(c.clickhouse_addr));
    let mut samples = Vec::new();
    let mut last_seq: u64 = 0;
    let mut newest_us: i64 = 0;
    let path = format!("/?database={}", c.clickhouse_db);
    while Instant::now() < until {
        tokio::time::sleep(every).await;
        let sql = format!(
            "SELECT max(seq), max(stored_us) FROM statements WHERE seq > {last_seq} FORMAT TabSeparated"
        );
        let Ok((status, body)) = conn
            .send(hyper::Method::POST, &path, Some(sql.into()))
            .await
        else {
            continue;
        };
        if !status.is_success() {
            eprintln!("lag probe: {status}: {}", String::from_utf8_lossy(&body));
            continue;
        }
        let text = String::from_utf8_lossy(&body);
        let mut f = text.split_whitespace();
        let (Some(seq), Some(us)) = (f.next(), f.next()) else {
            continue;
        };
        if let (Ok(seq), Ok(us)) = (seq.parse::<u64>(), us.parse::<i64>())
            && seq > last_seq
        {
            last_seq = seq;
            newest_us = us;
        }
        if Instant::now() >= from && newest_us > 0 {
            let now_us = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_micros() as i64)
                .unwrap_or(0);
            samples.push((now_us - newest_us) as f64 / 1e6);
        }
    }
    samples
}
