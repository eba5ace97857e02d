//! `forward`: statement forwarding under ingest. The same paced ingest (`--rate`, default 5,000
//! statements/s) runs twice against the server: first without a forwarder, then with one that
//! sends every statement to a second local Cairn (`--target-addr`, an xAPI target with the same
//! client credentials). It prints both ingest throughputs and the drop, the forwarding lag
//! (statements and seconds, sampled from the forwarder's status every 500 ms) p50/p99/max, how
//! long the forwarder took to catch up once ingest stopped, the statements the target holds
//! (counted in its ClickHouse database: each statement once) and the CPU split, target included.
use super::write::{WritePlan, writer};
use super::{Result, Setup, cpu_window, footer, salt_or_fresh};
use crate::Common;
use crate::client::{Conn, Target};
use crate::stats::{Recorder, cpu_seconds, percentile};
use clap::Args;
use hyper::Method;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

#[derive(Args, Clone)]
pub struct ForwardArgs {
    #[command(flatten)]
    pub admin: super::Admin,
    /// The target Cairn (its xAPI endpoint is `http://<addr>/xapi/`).
    #[arg(long)]
    pub target_addr: SocketAddr,
    /// The target's ClickHouse database, where delivered statements are counted.
    #[arg(long)]
    pub target_db: String,
    #[arg(long)]
    pub target_pid: Option<u32>,
    /// Offered ingest, statements per second.
    #[arg(long, default_value_t = 5000)]
    pub rate: u64,
    /// Seconds of each phase.
    #[arg(long, default_value_t = 60)]
    pub duration: u64,
    #[arg(long, default_value_t = 100)]
    pub batch: usize,
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// The forwarder's batch size.
    #[arg(long, default_value_t = 500)]
    pub forward_batch: u32,
}

/// One paced ingest phase: the statements accepted and the recorder.
async fn phase(
    setup: &Setup,
    a: &ForwardArgs,
    salt: u64,
    counter: Arc<AtomicU64>,
) -> Result<Recorder> {
    let conc = a.concurrency.max(1);
    let start = Instant::now();
    let per_worker = a.rate as f64 / conc as f64 / a.batch.max(1) as f64;
    let plan = WritePlan {
        pool: setup.pool.clone(),
        salt,
        counter,
        batch: a.batch.max(1),
        measure_from: start,
        deadline: start + Duration::from_secs(a.duration),
        limit: None,
        interval: Some(Duration::from_secs_f64(1.0 / per_worker)),
        acked: Default::default(),
    };
    let workers: Vec<_> = (0..conc)
        .map(|_| tokio::spawn(writer(setup.conn(), plan.clone())))
        .collect();
    let mut total = Recorder::default();
    for w in workers {
        total.merge(w.await.map_err(|e| e.to_string())?);
    }
    Ok(total)
}

pub(super) async fn json_call(
    conn: &mut Conn,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Result<Value> {
    let (status, bytes) = conn
        .send(method, path, body.map(|b| b.to_string().into()))
        .await?;
    let v: Value = serde_json::from_slice(&bytes).unwrap_or_default();
    if !status.is_success() {
        return Err(format!("{path}: {status}: {v}"));
    }
    Ok(v)
}

/// The number of statements in the target's ClickHouse database.
async fn target_count(c: &Common, db: &str) -> Result<u64> {
    let mut ch = Conn::new(Target::plain(c.clickhouse_addr));
    let sql = "SELECT count() FROM statements FORMAT TabSeparated";
    let (status, body) = ch
        .send(Method::POST, &format!("/?database={db}"), Some(sql.into()))
        .await?;
    let text = String::from_utf8_lossy(&body).trim().to_owned();
    if !status.is_success() {
        return Err(format!("count at the target: {status}: {text}"));
    }
    text.parse()
        .map_err(|e| format!("count at the target: {e}: {text}"))
}

pub async fn forward(c: &Common, a: ForwardArgs) -> Result {
    let setup = Setup::new(c);
    let salt = salt_or_fresh(None);
    let counter = Arc::new(AtomicU64::new(0));
    let secs = Duration::from_secs(a.duration);

    // Without a forwarder.
    let cpu = cpu_window(c);
    let mut without = phase(&setup, &a, salt, counter.clone()).await?;
    println!(
        "ingest without a forwarder, offered {} statements/s, {} s",
        a.rate, a.duration
    );
    println!(
        "{}",
        without.report("  POST /statements", secs, "statements")
    );
    footer(c, &cpu, secs);

    // A forwarder to the target, from now on.
    let token = super::analytics::token(c, &a.admin.email, &a.admin.password).await?;
    let mut admin = Conn::new(Target::bearer(c.addr(), &token));
    let list = format!("/api/v1/stores/{}/forwarders", a.admin.store);
    let created = json_call(
        &mut admin,
        Method::POST,
        &list,
        Some(json!({
            "name": format!("load {salt}"),
            "batch_size": a.forward_batch,
            "target": {
                "type": "xapi",
                "endpoint": format!("http://{}/xapi/", a.target_addr),
                "version": "2.0.0",
                "auth": {"type": "basic", "user": c.key, "password": c.secret},
            },
        })),
    )
    .await?;
    let fpath = format!("{list}/{}", created["id"].as_str().unwrap_or_default());
    let before = target_count(c, &a.target_db).await?;

    // With it: ingest, and the lag sampled from the forwarder's status.
    let cpu = cpu_window(c);
    let target_cpu0 = a.target_pid.and_then(cpu_seconds);
    let until = Instant::now() + secs;
    let probe = {
        let (c, fpath) = (c.clone(), fpath.clone());
        let token = token.clone();
        tokio::spawn(async move {
            let mut conn = Conn::new(Target::bearer(c.addr(), &token));
            let (mut n, mut s) = (Vec::new(), Vec::new());
            while Instant::now() < until {
                tokio::time::sleep(Duration::from_millis(500)).await;
                if let Ok(v) = json_call(&mut conn, Method::GET, &fpath, None).await {
                    n.push(v["status"]["lag_statements"].as_f64().unwrap_or(0.0));
                    s.push(v["status"]["lag_seconds"].as_f64().unwrap_or(0.0));
                }
            }
            (n, s)
        })
    };
    let mut with = phase(&setup, &a, salt, counter.clone()).await?;
    let (mut lag_n, mut lag_s) = probe.await.map_err(|e| e.to_string())?;
    println!(
        "ingest with a forwarder to {}, offered {} statements/s, {} s",
        a.target_addr, a.rate, a.duration
    );
    println!("{}", with.report("  POST /statements", secs, "statements"));
    footer(c, &cpu, secs);
    if let (Some(pid), Some(t0)) = (a.target_pid, target_cpu0)
        && let Some(t1) = cpu_seconds(pid)
    {
        println!(
            "  target cairn CPU {:.2} cores (its ClickHouse work is in the clickhouse figure)",
            (t1 - t0) / secs.as_secs_f64()
        );
    }
    let drop = 1.0 - with.items as f64 / without.items.max(1) as f64;
    println!(
        "ingest throughput: {:.0} statements/s without, {:.0} with a forwarder: drop {:.1} %",
        without.items as f64 / secs.as_secs_f64(),
        with.items as f64 / secs.as_secs_f64(),
        drop * 100.0
    );
    println!(
        "forwarding lag, statements: p50 {:.0}  p99 {:.0}  max {:.0};  seconds: p50 {:.2}  p99 {:.2}  max {:.2}  ({} samples)",
        percentile(&mut lag_n, 0.5),
        percentile(&mut lag_n, 0.99),
        percentile(&mut lag_n, 1.0),
        percentile(&mut lag_s, 0.5),
        percentile(&mut lag_s, 0.99),
        percentile(&mut lag_s, 1.0),
        lag_s.len()
    );

    // Caught up, then every accepted statement is at the target, once.
    let stopped = Instant::now();
    loop {
        let v = json_call(&mut admin, Method::GET, &fpath, None).await?;
        if v["status"]["lag_statements"] == 0 {
            break;
        }
        if stopped.elapsed() > Duration::from_secs(300) {
            return Err(format!(
                "the forwarder did not catch up in 300 s: {}",
                v["status"]
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!(
        "caught up {:.1} s after ingest stopped",
        stopped.elapsed().as_secs_f64()
    );
    let want = with.items;
    let mut at_target = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        at_target = target_count(c, &a.target_db).await? - before;
        if at_target >= want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let status = json_call(&mut admin, Method::GET, &fpath, None).await?["status"].clone();
    println!(
        "delivered at the target: {at_target} statements (accepted while forwarding: {want}; acknowledged by the target: {}; dead letters {}; errors {})",
        status["delivered"], status["dead_letters"], with.errors
    );
    json_call(&mut admin, Method::DELETE, &fpath, None)
        .await
        .ok();
    if at_target != want {
        return Err(format!(
            "the target holds {at_target} statements, {want} expected"
        ));
    }
    Ok(())
}
