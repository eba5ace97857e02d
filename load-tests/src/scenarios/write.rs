//! Write scenarios: `ingest` (timed, optionally paced, several concurrencies in turn) and
//! `fill` (a fixed number of statements, recorded so `reads` can ask for them by id).
use super::{Result, Setup, cpu_window, footer, lag_probe, salt_or_fresh};
use crate::Common;
use crate::stats::{Recorder, percentile};
use crate::workload::Pool;
use clap::Args;
use hyper::Method;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Args, Clone)]
pub struct IngestArgs {
    /// Statements per POST (1 sends a bare statement object).
    #[arg(long, default_value_t = 100)]
    pub batch: usize,
    /// Concurrent connections; a comma-separated list runs each in turn.
    #[arg(long, default_value = "8", value_delimiter = ',')]
    pub concurrency: Vec<usize>,
    /// Measured seconds (after the warm-up).
    #[arg(long, default_value_t = 60)]
    pub duration: u64,
    #[arg(long, default_value_t = 5)]
    pub warmup: u64,
    /// Offered load in statements per second across all connections (0: as fast as possible).
    #[arg(long, default_value_t = 0)]
    pub rate: u64,
    /// Sample the projection lag from ClickHouse every 100 ms.
    #[arg(long)]
    pub lag: bool,
    /// Salt for statement ids (default: fresh per run).
    #[arg(long)]
    pub salt: Option<u64>,
}

#[derive(Args, Clone)]
pub struct FillArgs {
    /// Statements to write.
    #[arg(long, default_value_t = 10_000_000)]
    pub count: u64,
    #[arg(long, default_value_t = 100)]
    pub batch: usize,
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Appends `{"salt":…,"count":…}` here once done (read by `reads`).
    #[arg(long, default_value_os_t = crate::default_record())]
    pub record: PathBuf,
}

/// How a writer runs: until a deadline or a count, paced or not, measured after a moment.
#[derive(Clone)]
pub struct WritePlan {
    pub pool: Arc<Pool>,
    pub salt: u64,
    pub counter: Arc<AtomicU64>,
    pub batch: usize,
    pub measure_from: Instant,
    pub deadline: Instant,
    pub limit: Option<u64>,
    /// Pause between requests of one worker (pacing), if any.
    pub interval: Option<Duration>,
    /// Counts the statements acknowledged, measured or not (read while the writers run).
    pub acked: Arc<AtomicU64>,
}

/// One connection POSTing batches until the plan says stop.
pub async fn writer(mut conn: crate::client::Conn, plan: WritePlan) -> Recorder {
    let mut rec = Recorder::default();
    let mut next = Instant::now();
    let mut reported = false;
    loop {
        let now = Instant::now();
        if now >= plan.deadline {
            break;
        }
        let first = plan.counter.fetch_add(plan.batch as u64, Ordering::Relaxed);
        let n = match plan.limit {
            Some(l) if first >= l => break,
            Some(l) => (l - first).min(plan.batch as u64) as usize,
            None => plan.batch,
        };
        let body = plan.pool.body(plan.salt, first, n);
        let t = Instant::now();
        let measured = t >= plan.measure_from;
        match conn
            .send(Method::POST, "/xapi/statements", Some(body.into()))
            .await
        {
            Ok((status, _)) if status.is_success() => {
                plan.acked.fetch_add(n as u64, Ordering::Relaxed);
                if measured {
                    rec.ok(t.elapsed(), n as u64)
                }
            }
            Ok((status, body)) => {
                if !reported {
                    eprintln!("POST: {status}: {}", String::from_utf8_lossy(&body));
                    reported = true;
                }
                rec.error(status.as_u16().to_string());
            }
            Err(e) => rec.error(e),
        }
        if let Some(iv) = plan.interval {
            next += iv;
            tokio::time::sleep_until(next.into()).await;
        }
    }
    rec
}

/// Timed writers under way: `finish` waits for them past their deadline.
pub struct Writers {
    workers: Vec<tokio::task::JoinHandle<Recorder>>,
    pub measure_from: Instant,
    pub deadline: Instant,
    /// Statements acknowledged so far, warm-up included.
    pub acked: Arc<AtomicU64>,
}

impl Writers {
    /// `conc` connections round-robin over the first `nodes` nodes of `setup`, for the warm-up
    /// and duration of `a`, paced to `a.rate` when set; ids from `salt` and `counter`.
    pub fn start(
        setup: &Setup,
        a: &IngestArgs,
        conc: usize,
        nodes: usize,
        salt: u64,
        counter: &Arc<AtomicU64>,
    ) -> Self {
        let conc = conc.max(1);
        let measure_from = Instant::now() + Duration::from_secs(a.warmup);
        let deadline = measure_from + Duration::from_secs(a.duration);
        let interval = (a.rate > 0).then(|| {
            let per_worker = a.rate as f64 / conc as f64 / a.batch as f64;
            Duration::from_secs_f64(1.0 / per_worker)
        });
        let acked = Arc::new(AtomicU64::new(0));
        let plan = WritePlan {
            pool: setup.pool.clone(),
            salt,
            counter: counter.clone(),
            batch: a.batch,
            measure_from,
            deadline,
            limit: None,
            interval,
            acked: acked.clone(),
        };
        let workers = (0..conc)
            .map(|i| tokio::spawn(writer(setup.conn_at(i % nodes.max(1)), plan.clone())))
            .collect();
        Writers {
            workers,
            measure_from,
            deadline,
            acked,
        }
    }

    /// Waits for every writer; the measured requests and the measured window's length.
    pub async fn finish(self) -> Result<(Recorder, Duration)> {
        let mut total = Recorder::default();
        for w in self.workers {
            total.merge(w.await.map_err(|e| e.to_string())?);
        }
        Ok((
            total,
            self.deadline.saturating_duration_since(self.measure_from),
        ))
    }
}

/// "ingest batch 100 × 8 connections, 60 s, offered 5000 statements/s".
pub fn ingest_title(a: &IngestArgs, conc: usize) -> String {
    let rate = if a.rate > 0 {
        format!(", offered {} statements/s", a.rate)
    } else {
        String::new()
    };
    format!(
        "ingest batch {} × {} connections, {} s{rate}",
        a.batch,
        conc.max(1),
        a.duration
    )
}

pub async fn ingest(c: &Common, a: IngestArgs) -> Result {
    let setup = Setup::new(c);
    if a.batch == 0 {
        return Err("--batch must be at least 1".into());
    }
    let salt = salt_or_fresh(a.salt);
    let counter = Arc::new(AtomicU64::new(0));
    for &conc in &a.concurrency {
        let writers = Writers::start(&setup, &a, conc, setup.targets.len(), salt, &counter);
        let (measure_from, deadline) = (writers.measure_from, writers.deadline);
        let lag = a.lag.then(|| {
            tokio::spawn(lag_probe(
                c.clone(),
                Duration::from_millis(100),
                measure_from,
                deadline,
            ))
        });
        tokio::time::sleep_until(measure_from.into()).await;
        let cpu = cpu_window(c);
        let (mut total, elapsed) = writers.finish().await?;
        println!("{}", ingest_title(&a, conc));
        println!(
            "{}",
            total.report("  POST /statements", elapsed, "statements")
        );
        if let Some(lag) = lag {
            let mut s = lag.await.map_err(|e| e.to_string())?;
            println!(
                "  projection lag         p50 {:.3} s  p99 {:.3} s  max {:.3} s  ({} samples)",
                percentile(&mut s, 0.5),
                percentile(&mut s, 0.99),
                percentile(&mut s, 1.0),
                s.len()
            );
        }
        footer(c, &cpu, elapsed);
    }
    Ok(())
}

pub async fn fill(c: &Common, a: FillArgs) -> Result {
    let setup = Setup::new(c);
    let salt = salt_or_fresh(None);
    let counter = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let plan = WritePlan {
        pool: setup.pool.clone(),
        salt,
        counter: counter.clone(),
        batch: a.batch.max(1),
        measure_from: start,
        deadline: start + Duration::from_secs(365 * 86_400),
        limit: Some(a.count),
        interval: None,
        acked: Default::default(),
    };
    let cpu = cpu_window(c);
    let workers: Vec<_> = (0..a.concurrency.max(1))
        .map(|_| tokio::spawn(writer(setup.conn(), plan.clone())))
        .collect();
    let progress = {
        let counter = counter.clone();
        let count = a.count;
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(10)).await;
                let done = counter.load(Ordering::Relaxed).min(count);
                let secs = start.elapsed().as_secs_f64();
                eprintln!(
                    "fill: {done} / {count} ({:.0} statements/s)",
                    done as f64 / secs
                );
            }
        })
    };
    let mut total = Recorder::default();
    for w in workers {
        total.merge(w.await.map_err(|e| e.to_string())?);
    }
    progress.abort();
    let elapsed = start.elapsed();
    println!(
        "fill {} statements, batch {} × {} connections, {:.0} s",
        a.count,
        a.batch,
        a.concurrency,
        elapsed.as_secs_f64()
    );
    println!(
        "{}",
        total.report("  POST /statements", elapsed, "statements")
    );
    footer(c, &cpu, elapsed);
    if let Some(dir) = a.record.parent() {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&a.record)
        .map_err(|e| format!("{}: {e}", a.record.display()))?;
    writeln!(
        f,
        "{}",
        serde_json::json!({"seed": c.seed, "salt": salt, "count": a.count, "batch": a.batch, "errors": total.errors})
    )
    .map_err(|e| e.to_string())?;
    Ok(())
}
