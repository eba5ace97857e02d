//! `erase`: erasing one person from a large store while statements keep arriving. Ingest runs
//! as fast as the server takes it (`--concurrency` connections, `--batch` statements per POST)
//! for the whole scenario. After a warm-up, the ingest rate is measured over `--baseline`
//! seconds; then one actor of the universe (`--actor`, an index; the default is in the long
//! tail, about 0.014 % of the statements) is erased through `POST /api/v1/erasures`, and the
//! erasure's state is sampled every 200 ms until it is `finished`. The scenario prints how long
//! the erasure took and each of its stages, how many statements it removed, the ingest rate and
//! the CPU split before and during it, and checks through the xAPI that no statement of that
//! actor stored before the erasure began is left.
use super::forward::json_call;
use super::write::{WritePlan, writer};
use super::{Result, Setup, cpu_window, enc, footer, salt_or_fresh};
use crate::Common;
use crate::client::{Conn, Target};
use crate::workload::format_rfc3339;
use clap::Args;
use hyper::Method;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Args, Clone)]
pub struct EraseArgs {
    #[command(flatten)]
    pub admin: super::Admin,
    /// The index of the actor to erase in the seeded universe.
    #[arg(long, default_value_t = 2500)]
    pub actor: usize,
    /// Seconds of ingest before the rate is measured.
    #[arg(long, default_value_t = 5)]
    pub warmup: u64,
    /// Seconds over which the ingest rate without an erasure is measured.
    #[arg(long, default_value_t = 20)]
    pub baseline: u64,
    #[arg(long, default_value_t = 100)]
    pub batch: usize,
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Gives up waiting for the erasure after this many seconds.
    #[arg(long, default_value_t = 3600)]
    pub timeout: u64,
}

/// Statements acknowledged per second between two samples of the counter.
fn rate(acked: &AtomicU64, from: (u64, Instant)) -> f64 {
    let n = acked.load(Ordering::Relaxed) - from.0;
    n as f64 / from.1.elapsed().as_secs_f64()
}

pub async fn erase(c: &Common, a: EraseArgs) -> Result {
    let setup = Setup::new(c);
    let actor = setup
        .universe
        .actors
        .get(a.actor)
        .ok_or_else(|| format!("--actor {} is not below --actors {}", a.actor, c.actors))?;
    let mut agent = actor.clone();
    if let Some(m) = agent.as_object_mut() {
        m.remove("name");
    }
    let token = super::analytics::token(c, &a.admin.email, &a.admin.password).await?;
    let mut admin = Conn::new(Target::bearer(c.addr(), &token));

    // Ingest for the whole scenario; the writers are stopped at the end.
    let acked = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let plan = WritePlan {
        pool: setup.pool.clone(),
        salt: salt_or_fresh(None),
        counter: Arc::new(AtomicU64::new(0)),
        batch: a.batch.max(1),
        measure_from: start,
        deadline: start + Duration::from_secs(a.warmup + a.baseline + a.timeout + 60),
        limit: None,
        interval: None,
        acked: acked.clone(),
    };
    let writers: Vec<_> = (0..a.concurrency.max(1))
        .map(|_| tokio::spawn(writer(setup.conn(), plan.clone())))
        .collect();
    tokio::time::sleep(Duration::from_secs(a.warmup)).await;

    let cpu = cpu_window(c);
    let from = (acked.load(Ordering::Relaxed), Instant::now());
    tokio::time::sleep(Duration::from_secs(a.baseline)).await;
    let without = rate(&acked, from);
    println!(
        "ingest without an erasure ({} connections, batch {}): {without:.0} statements/s over {} s",
        a.concurrency, a.batch, a.baseline
    );
    footer(c, &cpu, Duration::from_secs(a.baseline));

    // The erasure, and its stages as sampled.
    let began = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs() as i64;
    let cpu = cpu_window(c);
    let from = (acked.load(Ordering::Relaxed), Instant::now());
    let created = json_call(
        &mut admin,
        Method::POST,
        "/api/v1/erasures",
        Some(json!({"agent": agent, "store": a.admin.store})),
    )
    .await?;
    let path = format!(
        "/api/v1/erasures/{}",
        created["id"].as_str().unwrap_or_default()
    );
    let mut stages: Vec<(String, Duration)> = Vec::new();
    let mut stage_since = Instant::now();
    let status = loop {
        let v = json_call(&mut admin, Method::GET, &path, None).await?;
        let state = v["state"].as_str().unwrap_or("?").to_owned();
        if stages.last().is_none_or(|(s, _)| *s != state) {
            if let Some(last) = stages.last_mut() {
                last.1 = stage_since.elapsed();
            }
            stage_since = Instant::now();
            stages.push((state.clone(), Duration::ZERO));
        }
        if state == "finished" || state == "failed" {
            break v;
        }
        if from.1.elapsed() > Duration::from_secs(a.timeout) {
            return Err(format!(
                "the erasure did not finish in {} s: {v}",
                a.timeout
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let took = from.1.elapsed();
    let during = rate(&acked, from);
    for w in &writers {
        w.abort();
    }
    if status["state"] != "finished" {
        return Err(format!("the erasure failed: {status}"));
    }
    println!(
        "erasure of actor {} ({}): {} statements removed in {:.1} s",
        a.actor,
        agent,
        status["statements"],
        took.as_secs_f64()
    );
    let stages: Vec<String> = stages
        .iter()
        .filter(|(s, _)| s != "finished")
        .map(|(s, d)| format!("{s} {:.1} s", d.as_secs_f64()))
        .collect();
    println!("  stages (sampled every 200 ms): {}", stages.join(", "));
    println!(
        "  ingest during it: {during:.0} statements/s ({:+.1} % against {without:.0})",
        (during / without.max(1.0) - 1.0) * 100.0
    );
    footer(c, &cpu, took);

    // Nothing of the actor stored before the erasure began is left.
    let mut xapi = setup.conn();
    let query = format!(
        "/xapi/statements?limit=1&agent={}&until={}",
        enc(&agent.to_string()),
        enc(&format!("{}Z", format_rfc3339(began - 1)))
    );
    let (st, body) = xapi.send(Method::GET, &query, None).await?;
    let left: Value = serde_json::from_slice(&body).unwrap_or_default();
    let found = left["statements"].as_array().map(Vec::len);
    match found {
        Some(0) if st.is_success() => {
            println!("  check: no statement of the actor stored before the erasure is left")
        }
        _ => {
            return Err(format!(
                "statements of the erased actor are still there: {st}: {left}"
            ));
        }
    }
    Ok(())
}
