//! `cluster`: batch ingest spread round-robin over the nodes of a cluster (`--addr` lists them),
//! then a read mix spread the same way. `load-tests/run.sh cluster` starts three nats-servers as
//! one JetStream cluster, one ClickHouse and the `cairn` nodes (each projecting into its own
//! database), then runs this again against one embedded node for comparison.
//!
//! It prints the acknowledged statements per second and the refusals (503s), each node's
//! projection lag when the writers stop and how long its database takes to hold every
//! acknowledged statement, the JetStream messages per second and statements per message (one
//! message per group commit, read from a nats-server's monitoring endpoint), the read pages per
//! second with their latency, and the CPU split of each window by class of process, with the CPU
//! each class spent per acknowledged statement.
use super::read::{read_mix, report};
use super::write::{IngestArgs, Writers, ingest_title};
use super::{Result, Setup, cpu_window, footer, salt_or_fresh};
use crate::Common;
use crate::client::{Conn, Target};
use crate::stats::CpuWindow;
use clap::Args;
use hyper::Method;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Args, Clone)]
pub struct ClusterArgs {
    #[command(flatten)]
    pub ingest: IngestArgs,
    /// Each node's ClickHouse database, in `--addr` order.
    #[arg(long, value_delimiter = ',', required = true)]
    pub dbs: Vec<String>,
    /// Writers use only the first K nodes (0: all). With 1, one node accepts every write and
    /// the others only apply them, which separates the two costs.
    #[arg(long, default_value_t = 0)]
    pub accept_on: usize,
    /// A nats-server's monitoring address (host:port), for the stream's message count.
    #[arg(long)]
    pub jetstream_monitor: Option<SocketAddr>,
    /// Each node's metrics address (`metrics_addr`), in `--addr` order: appends to the log,
    /// their time, and the groups decided again because another node appended first.
    #[arg(long, value_delimiter = ',')]
    pub metrics: Vec<SocketAddr>,
    /// The JetStream stream of the log (`jetstream_stream`).
    #[arg(long, default_value = "CAIRN_LOG")]
    pub stream: String,
    /// Connections of the read mix (round-robin over the nodes).
    #[arg(long, default_value_t = 8)]
    pub readers: usize,
    /// Measured seconds of the read mix (0: no reads).
    #[arg(long, default_value_t = 30)]
    pub read_duration: u64,
    /// Statements per filtered page.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// How long to wait for every node's database to hold every acknowledged statement.
    #[arg(long, default_value_t = 300)]
    pub catch_up_timeout: u64,
}

/// The stream's message count and bytes, from `/jsz?streams=true`.
async fn stream_state(mon: SocketAddr, stream: &str) -> Result<(u64, u64)> {
    let mut conn = Conn::new(Target::plain(mon));
    let (status, body) = conn
        .send(Method::GET, "/jsz?streams=true", None)
        .await
        .map_err(|e| format!("nats monitoring {mon}: {e}"))?;
    if !status.is_success() {
        return Err(format!("nats monitoring {mon}: {status}"));
    }
    let v: serde_json::Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
    stream_counts(&v, stream).ok_or_else(|| format!("nats monitoring {mon}: no stream {stream}"))
}

/// The messages and bytes of `stream` in a `/jsz?streams=true` answer.
fn stream_counts(jsz: &serde_json::Value, stream: &str) -> Option<(u64, u64)> {
    jsz["account_details"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|a| a["stream_detail"].as_array().into_iter().flatten())
        .find(|s| s["name"] == stream)
        .map(|s| {
            let st = &s["state"];
            (
                st["messages"].as_u64().unwrap_or(0),
                st["bytes"].as_u64().unwrap_or(0),
            )
        })
}

/// A node's appends to the log, their total seconds, and its retries (Prometheus text).
async fn append_counters(addr: SocketAddr) -> Option<(f64, f64, f64)> {
    let mut conn = Conn::new(Target::plain(addr));
    let (status, body) = conn.send(Method::GET, "/metrics", None).await.ok()?;
    if !status.is_success() {
        return None;
    }
    let text = String::from_utf8_lossy(&body);
    Some((
        metric(&text, "cairn_writer_replicated_append_seconds_count"),
        metric(&text, "cairn_writer_replicated_append_seconds_sum"),
        metric(&text, "cairn_writer_replicated_retries_total"),
    ))
}

/// The sum over the series of metric `name` in Prometheus text (0 when absent).
fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| l.split([' ', '{']).next() == Some(name))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Each node's counters, in order (`None` where a node did not answer).
async fn all_counters(metrics: &[SocketAddr]) -> Vec<Option<(f64, f64, f64)>> {
    let mut out = Vec::new();
    for m in metrics {
        out.push(append_counters(*m).await);
    }
    out
}

/// "node 1: 412 appends, mean 38.1 ms; 57 groups decided again (another node appended first)".
fn appends_report(before: &[Option<(f64, f64, f64)>], after: &[Option<(f64, f64, f64)>]) {
    for (i, (b, a)) in before.iter().zip(after).enumerate() {
        if let (Some((n0, s0, r0)), Some((n1, s1, r1))) = (b, a) {
            let n = n1 - n0;
            println!(
                "  node {}: {n:.0} appends to the log, mean {:.1} ms; {:.0} groups decided again (another node appended first)",
                i + 1,
                (s1 - s0) * 1000.0 / n.max(1.0),
                r1 - r0
            );
        }
    }
}

/// `count()` of a node's `statements`.
async fn projected(conn: &mut Conn, db: &str) -> Option<u64> {
    let (status, body) = conn
        .send(
            Method::POST,
            &format!("/?database={db}"),
            Some("SELECT count() FROM statements FORMAT TabSeparated".into()),
        )
        .await
        .ok()?;
    if !status.is_success() {
        return None;
    }
    String::from_utf8_lossy(&body).trim().parse().ok()
}

/// Each node's rows when the writers stopped, then the time until it holds `acked` statements.
async fn catch_up(c: &Common, dbs: &[String], acked: u64, stopped: Instant, timeout: u64) {
    let mut conn = Conn::new(Target::plain(c.clickhouse_addr));
    let mut pending: Vec<(usize, u64)> = Vec::new();
    for (i, db) in dbs.iter().enumerate() {
        let rows = projected(&mut conn, db).await.unwrap_or(0);
        pending.push((i, rows));
    }
    let deadline = stopped + Duration::from_secs(timeout);
    let mut lines = vec![String::new(); dbs.len()];
    while !pending.is_empty() {
        let mut still = Vec::new();
        for (i, at_end) in pending {
            let now = projected(&mut conn, &dbs[i]).await.unwrap_or(0);
            if now >= acked {
                lines[i] = format!(
                    "  node {} ({}): {} statements behind when the writers stopped; all {acked} projected {:.1} s later",
                    i + 1,
                    dbs[i],
                    acked.saturating_sub(at_end),
                    stopped.elapsed().as_secs_f64()
                );
            } else if Instant::now() >= deadline {
                lines[i] = format!(
                    "  node {} ({}): {} statements behind when the writers stopped; still {} behind after {timeout} s",
                    i + 1,
                    dbs[i],
                    acked.saturating_sub(at_end),
                    acked - now
                );
            } else {
                still.push((i, at_end));
            }
        }
        pending = still;
        if !pending.is_empty() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    println!("projection lag ({acked} statements acknowledged):");
    for l in lines {
        println!("{l}");
    }
}

/// CPU per acknowledged statement by class, and nats per message when known.
fn costs(cpu: &CpuWindow, statements: u64, messages: Option<u64>) -> String {
    let used = cpu.used();
    let mut parts: Vec<String> = used
        .iter()
        .map(|(name, s)| format!("{name} {:.0}", s * 1e6 / statements.max(1) as f64))
        .collect();
    if let Some(m) = messages.filter(|m| *m > 0) {
        let nats: f64 = used
            .iter()
            .filter(|(n, _)| n == "nats")
            .map(|(_, s)| s)
            .sum();
        parts.push(format!(
            "(nats {:.0} µs per message)",
            nats * 1e6 / m as f64
        ));
    }
    format!("CPU per acknowledged statement (µs): {}", parts.join(", "))
}

pub async fn cluster(c: &Common, a: ClusterArgs) -> Result {
    if a.ingest.batch == 0 {
        return Err("--batch must be at least 1".into());
    }
    if a.ingest.lag {
        return Err(
            "--lag is for ingest: cluster prints each node's lag when the writers stop".into(),
        );
    }
    if a.dbs.len() != c.addrs.len() {
        return Err(format!(
            "--dbs names {} databases for {} nodes (--addr)",
            a.dbs.len(),
            c.addrs.len()
        ));
    }
    let setup = Setup::new(c);
    let nodes = c.addrs.len();
    let accept_on = if a.accept_on == 0 {
        nodes
    } else {
        a.accept_on.min(nodes)
    };
    let salt = salt_or_fresh(a.ingest.salt);
    let counter = Arc::new(AtomicU64::new(0));
    let mut acked = 0;
    for &conc in &a.ingest.concurrency {
        let writers = Writers::start(&setup, &a.ingest, conc, accept_on, salt, &counter);
        let acked_now = writers.acked.clone();
        tokio::time::sleep_until(writers.measure_from.into()).await;
        let js0 = match a.jetstream_monitor {
            Some(m) => Some(stream_state(m, &a.stream).await?),
            None => None,
        };
        let counters0 = all_counters(&a.metrics).await;
        let cpu = cpu_window(c);
        let (mut total, elapsed) = writers.finish().await?;
        let stopped = Instant::now();
        let counters1 = all_counters(&a.metrics).await;
        let js1 = match a.jetstream_monitor {
            Some(m) => Some(stream_state(m, &a.stream).await?),
            None => None,
        };
        acked += acked_now.load(Ordering::Relaxed);
        println!(
            "cluster of {nodes} node(s), writes on {accept_on}: {}",
            ingest_title(&a.ingest, conc)
        );
        println!(
            "{}",
            total.report("  POST /statements", elapsed, "statements")
        );
        println!(
            "  503s: {} of {} requests",
            total.error_kinds.get("503").copied().unwrap_or(0),
            total.requests
        );
        let messages = js0.zip(js1).map(|((m0, b0), (m1, b1))| {
            let (m, b) = (m1.saturating_sub(m0), b1.saturating_sub(b0));
            println!(
                "  JetStream: {:.0} messages/s, {:.1} statements per message, {:.0} bytes per message",
                m as f64 / elapsed.as_secs_f64(),
                total.items as f64 / m.max(1) as f64,
                b as f64 / m.max(1) as f64
            );
            m
        });
        appends_report(&counters0, &counters1);
        footer(c, &cpu, elapsed);
        println!("{}", costs(&cpu, total.items, messages));
        catch_up(c, &a.dbs, acked, stopped, a.catch_up_timeout).await;
    }
    if a.read_duration > 0 {
        let written = counter.load(Ordering::Relaxed);
        let (all, cpu, elapsed) = read_mix(
            c,
            &setup,
            salt,
            written,
            a.readers,
            a.read_duration,
            a.limit,
        )
        .await?;
        println!(
            "reads over {nodes} node(s): {} connections, {} s, half by statementId, half filtered",
            a.readers, a.read_duration
        );
        report(all, elapsed);
        footer(c, &cpu, elapsed);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_stream_among_the_accounts() {
        let jsz = serde_json::json!({"account_details": [
            {"name": "$G", "stream_detail": [
                {"name": "OTHER", "state": {"messages": 1, "bytes": 10}},
                {"name": "CAIRN_LOG", "state": {"messages": 42, "bytes": 4200, "last_seq": 42}}
            ]}
        ]});
        assert_eq!(stream_counts(&jsz, "CAIRN_LOG"), Some((42, 4200)));
        assert_eq!(stream_counts(&jsz, "MISSING"), None);
        assert_eq!(stream_counts(&serde_json::json!({}), "CAIRN_LOG"), None);
    }

    #[test]
    fn reads_a_metric_and_not_its_prefixes() {
        let text = "# TYPE cairn_writer_replicated_retries_total counter\n\
                    cairn_writer_replicated_retries_total 7\n\
                    cairn_writer_replicated_append_seconds_sum 1.5\n\
                    cairn_writer_replicated_append_seconds_count{node=\"a\"} 3\n\
                    cairn_writer_replicated_append_seconds_count{node=\"b\"} 4\n";
        assert_eq!(metric(text, "cairn_writer_replicated_retries_total"), 7.0);
        assert_eq!(
            metric(text, "cairn_writer_replicated_append_seconds_sum"),
            1.5
        );
        assert_eq!(
            metric(text, "cairn_writer_replicated_append_seconds_count"),
            7.0
        );
        assert_eq!(metric(text, "cairn_writer_replicated_append_seconds"), 0.0);
    }
}
