//! `cairn-loadgen`: seeded, realistic xAPI load against a running Cairn server, over HTTP/1.1
//! keep-alive connections (one per concurrent worker). Each scenario prints throughput,
//! p50/p95/p99/p99.9 latency and errors, the CPU split between the server, ClickHouse, the
//! generator, any other classes of process named with `--cpu` (a cluster's nodes and
//! nats-servers) and the rest of the machine, and the server's resident memory. `--addr` may
//! list several nodes: connections go round-robin over them.
//! `load-tests/run.sh` starts ClickHouse and the release server (or a whole cluster) and calls
//! this, so one command reproduces one figure.
mod client;
mod scenarios;
mod stats;
mod workload;

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "cairn-loadgen", about = "Seeded xAPI load for Cairn")]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    scenario: Scenario,
}

/// What every scenario shares: where the server is, the seed and the size of the universe.
#[derive(Args, Clone)]
pub struct Common {
    /// The server's address; a comma-separated list spreads the connections round-robin over
    /// the nodes of a cluster (the admin API scenarios use the first).
    #[arg(
        long = "addr",
        global = true,
        default_value = "127.0.0.1:18280",
        value_delimiter = ','
    )]
    pub addrs: Vec<SocketAddr>,
    #[arg(long, global = true, default_value = "load")]
    pub key: String,
    #[arg(long, global = true, default_value = "load-secret-load-secret")]
    pub secret: String,
    /// Seeds actors, activities, registrations and the statement pool.
    #[arg(long, global = true, default_value_t = 42)]
    pub seed: u64,
    #[arg(long, global = true, default_value_t = 5000)]
    pub actors: usize,
    #[arg(long, global = true, default_value_t = 3000)]
    pub activities: usize,
    #[arg(long, global = true, default_value_t = 20000)]
    pub registrations: usize,
    /// Distinct pre-rendered statements (each request gives them fresh ids).
    #[arg(long, global = true, default_value_t = 20000)]
    pub pool: usize,
    /// Processes whose CPU and memory to report.
    #[arg(long, global = true)]
    pub server_pid: Option<u32>,
    #[arg(long, global = true)]
    pub clickhouse_pid: Option<u32>,
    /// More processes for the CPU split, one class each: `NAME=PID[+PID…]` (repeatable), e.g.
    /// `--cpu nats=101+102+103`.
    #[arg(long = "cpu", global = true, value_parser = parse_cpu_class)]
    pub cpu: Vec<(String, Vec<u32>)>,
    /// ClickHouse's HTTP address and the server's database, for the projection-lag probe.
    #[arg(long, global = true, default_value = "127.0.0.1:18200")]
    pub clickhouse_addr: SocketAddr,
    #[arg(long, global = true, default_value = "cairn_load")]
    pub clickhouse_db: String,
}

#[derive(Subcommand)]
enum Scenario {
    /// POST statements as fast as possible (or at --rate) for --duration seconds.
    Ingest(scenarios::IngestArgs),
    /// POST --count statements (to build a large store for the read scenarios).
    Fill(scenarios::FillArgs),
    /// GET by id, filtered GETs and `more` pages against a filled store.
    Reads(scenarios::ReadArgs),
    /// Writers and readers at once.
    Mixed(scenarios::MixedArgs),
    /// The analytics API against a filled store: a daily series by verb, then autocomplete.
    Aggregates(scenarios::AggregatesArgs),
    /// Paced ingest without, then with, a forwarder to a second Cairn: lag and throughput.
    Forward(scenarios::ForwardArgs),
    /// Erase one actor through the admin API while ingesting: duration, stages, ingest impact.
    Erase(scenarios::EraseArgs),
    /// Ingest, then reads, spread over the nodes of a cluster: lag per node, JetStream messages.
    Cluster(scenarios::ClusterArgs),
}

impl Common {
    /// The first (or only) server's address.
    pub fn addr(&self) -> SocketAddr {
        self.addrs[0]
    }
}

/// `NAME=PID[+PID…]`.
fn parse_cpu_class(s: &str) -> Result<(String, Vec<u32>), String> {
    let (name, pids) = s
        .split_once('=')
        .ok_or_else(|| format!("--cpu {s}: expected NAME=PID[+PID…]"))?;
    let pids = pids
        .split('+')
        .map(|p| {
            p.parse()
                .map_err(|_| format!("--cpu {s}: {p:?} is not a pid"))
        })
        .collect::<Result<Vec<u32>, String>>()?;
    Ok((name.to_string(), pids))
}

/// Where `fill` records the statement ids it wrote, for `reads`.
pub fn default_record() -> PathBuf {
    PathBuf::from("var/load/fill/ids.jsonl")
}

fn main() {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let code = rt.block_on(async move {
        match cli.scenario {
            Scenario::Ingest(a) => scenarios::ingest(&cli.common, a).await,
            Scenario::Fill(a) => scenarios::fill(&cli.common, a).await,
            Scenario::Reads(a) => scenarios::reads(&cli.common, a).await,
            Scenario::Mixed(a) => scenarios::mixed(&cli.common, a).await,
            Scenario::Aggregates(a) => scenarios::aggregates(&cli.common, a).await,
            Scenario::Forward(a) => scenarios::forward(&cli.common, a).await,
            Scenario::Erase(a) => scenarios::erase(&cli.common, a).await,
            Scenario::Cluster(a) => scenarios::cluster(&cli.common, a).await,
        }
    });
    if let Err(e) = code {
        eprintln!("cairn-loadgen: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::parse_cpu_class;

    #[test]
    fn cpu_classes_name_one_or_more_pids() {
        assert_eq!(
            parse_cpu_class("nats=101+102+103"),
            Ok(("nats".to_string(), vec![101, 102, 103]))
        );
        assert_eq!(
            parse_cpu_class("node1=7"),
            Ok(("node1".to_string(), vec![7]))
        );
        let err = parse_cpu_class("nats").unwrap_err();
        assert!(err.contains("NAME=PID"), "{err}");
        let err = parse_cpu_class("nats=1+x").unwrap_err();
        assert!(err.contains("\"x\" is not a pid"), "{err}");
    }
}
