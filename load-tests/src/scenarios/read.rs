//! Read scenarios: `reads` (GET by id, filtered GETs and their `more` pages against a filled
//! store) and `mixed` (writers and readers at once).
use super::write::{WritePlan, writer};
use super::{Result, Setup, cpu_window, enc, footer, salt_or_fresh};
use crate::Common;
use crate::client::Conn;
use crate::stats::{CpuWindow, Recorder};
use crate::workload::{Universe, statement_id};
use clap::Args;
use hyper::Method;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Args, Clone)]
pub struct ReadArgs {
    /// The ids `fill` wrote.
    #[arg(long, default_value_os_t = crate::default_record())]
    pub record: PathBuf,
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Measured seconds of each phase (by id, then filtered).
    #[arg(long, default_value_t = 30)]
    pub duration: u64,
    #[arg(long, default_value_t = 3)]
    pub warmup: u64,
    /// Statements per filtered page.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Probability of following `more` after a filtered page (up to 3 pages).
    #[arg(long, default_value_t = 0.3)]
    pub follow_more: f64,
}

#[derive(Args, Clone)]
pub struct MixedArgs {
    #[arg(long, default_value_t = 10)]
    pub batch: usize,
    #[arg(long, default_value_t = 4)]
    pub writers: usize,
    #[arg(long, default_value_t = 4)]
    pub readers: usize,
    #[arg(long, default_value_t = 60)]
    pub duration: u64,
    #[arg(long, default_value_t = 5)]
    pub warmup: u64,
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
}

/// Where `statementId`s come from: recorded fill runs, or the live counter of a mixed run.
#[derive(Clone)]
enum Ids {
    Runs(Arc<Vec<(u64, u64)>>),
    Live { salt: u64, counter: Arc<AtomicU64> },
}

impl Ids {
    fn pick(&self, rng: &mut StdRng) -> Option<uuid::Uuid> {
        match self {
            Ids::Runs(runs) => {
                // Every recorded statement equally likely: the run by its share of the total.
                let total: u64 = runs.iter().map(|(_, n)| n).sum();
                let mut i = rng.random_range(0..total);
                for (salt, count) in runs.iter() {
                    if i < *count {
                        return Some(statement_id(*salt, i));
                    }
                    i -= count;
                }
                None
            }
            Ids::Live { salt, counter } => {
                // Well behind the counter: acknowledged by now.
                let n = counter.load(Ordering::Relaxed).checked_sub(1000)?;
                (n > 0).then(|| statement_id(*salt, rng.random_range(0..n)))
            }
        }
    }
}

pub(super) fn load_runs(path: &PathBuf) -> Result<Vec<(u64, u64)>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: {e} (run the fill scenario first)", path.display()))?;
    let runs: Vec<(u64, u64)> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        // A run whose every request failed stored nothing. (A run with some failed batches
        // stored the rest: its failed statements answer 404, which the report counts.)
        .filter(|v| {
            let failed = v["errors"].as_u64().unwrap_or(0) * v["batch"].as_u64().unwrap_or(100);
            failed < v["count"].as_u64().unwrap_or(0)
        })
        .filter_map(|v| Some((v["salt"].as_u64()?, v["count"].as_u64()?)))
        .filter(|(_, n)| *n > 0)
        .collect();
    if runs.is_empty() {
        return Err(format!("{}: no fill runs recorded", path.display()));
    }
    Ok(runs)
}

/// A filtered query string drawn from the universe, with the kind it belongs to.
fn filtered_query(u: &Universe, rng: &mut StdRng, limit: usize) -> (&'static str, String) {
    let pick = |rng: &mut StdRng, n: usize| rng.random_range(0..n);
    let (kind, q) = match rng.random_range(0..6) {
        0 => (
            "agent",
            format!(
                "agent={}",
                enc(&u.actor_params[pick(rng, u.actor_params.len())])
            ),
        ),
        1 => (
            "verb",
            format!("verb={}", enc(&u.verbs[pick(rng, u.verbs.len())])),
        ),
        2 => (
            "activity",
            format!(
                "activity={}",
                enc(&u.activity_ids[pick(rng, u.activity_ids.len())])
            ),
        ),
        3 => (
            "registration",
            format!(
                "registration={}",
                u.registrations[pick(rng, u.registrations.len())]
            ),
        ),
        4 => (
            "verb+since",
            format!(
                "verb={}&since=2020-01-01T00:00:00Z",
                enc(&u.verbs[pick(rng, u.verbs.len())])
            ),
        ),
        _ => (
            "related_activities",
            format!(
                "activity={}&related_activities=true",
                enc(&u.courses[pick(rng, u.courses.len())])
            ),
        ),
    };
    (kind, format!("/xapi/statements?{q}&limit={limit}"))
}

/// Statements in a page, and its `more` link.
fn page_of(body: &[u8]) -> (u64, Option<String>) {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let n = v["statements"].as_array().map_or(0, |a| a.len() as u64);
    let more = v["more"]
        .as_str()
        .filter(|m| !m.is_empty())
        .map(str::to_owned);
    (n, more)
}

async fn timed_get(
    conn: &mut Conn,
    path: &str,
) -> (Duration, std::result::Result<bytes::Bytes, String>) {
    let t = Instant::now();
    let r = conn.send(Method::GET, path, None).await;
    let took = t.elapsed();
    match r {
        Ok((s, body)) if s.is_success() => (took, Ok(body)),
        Ok((s, _)) => (took, Err(s.as_u16().to_string())),
        Err(e) => (took, Err(e)),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum ReadMix {
    ById,
    Filtered,
    Both,
}

/// What readers do and for how long.
#[derive(Clone)]
struct ReadPlan {
    ids: Ids,
    mix: ReadMix,
    concurrency: usize,
    limit: usize,
    follow_more: f64,
    warmup: u64,
    duration: u64,
}

/// One connection reading until `deadline`; results per kind ("by id", "filtered: verb", …).
async fn reader(
    mut conn: Conn,
    u: Arc<Universe>,
    plan: ReadPlan,
    seed: u64,
    measure_from: Instant,
    deadline: Instant,
) -> BTreeMap<String, Recorder> {
    let ReadPlan {
        ids,
        mix,
        limit,
        follow_more,
        ..
    } = plan;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out: BTreeMap<String, Recorder> = BTreeMap::new();
    while Instant::now() < deadline {
        let by_id = match mix {
            ReadMix::ById => true,
            ReadMix::Filtered => false,
            ReadMix::Both => rng.random_bool(0.5),
        };
        let measured = Instant::now() >= measure_from;
        if by_id {
            let Some(id) = ids.pick(&mut rng) else {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            };
            let (took, r) =
                timed_get(&mut conn, &format!("/xapi/statements?statementId={id}")).await;
            let rec = out.entry("GET by statementId".into()).or_default();
            match r {
                Ok(_) if measured => rec.ok(took, 1),
                Ok(_) => {}
                Err(e) => rec.error(e),
            }
            continue;
        }
        let (kind, mut path) = filtered_query(&u, &mut rng, limit);
        for page in 0..3 {
            let (took, r) = timed_get(&mut conn, &path).await;
            let name = if page == 0 {
                format!("GET filtered ({kind})")
            } else {
                "GET more".to_string()
            };
            let rec = out.entry(name).or_default();
            let body = match r {
                Ok(b) => b,
                Err(e) => {
                    rec.error(e);
                    break;
                }
            };
            let (n, more) = page_of(&body);
            if measured {
                rec.ok(took, n);
            }
            match more {
                Some(m) if rng.random_bool(follow_more) => path = m,
                _ => break,
            }
        }
    }
    out
}

/// One line per kind of request, then the filtered ones together and every read together
/// (pages: a by-id answer, a filtered page or a `more` page).
pub(super) fn report(all: BTreeMap<String, Recorder>, elapsed: Duration) {
    let mut filtered = Recorder::default();
    let mut reads = Recorder::default();
    for (name, mut rec) in all {
        if name.starts_with("GET filtered") {
            filtered.merge(rec.clone());
        }
        if name.starts_with("GET") {
            reads.merge(rec.clone());
        }
        println!(
            "{}",
            rec.report(&format!("  {name}"), elapsed, "statements")
        );
    }
    if filtered.requests > 0 {
        println!(
            "{}",
            filtered.report("  GET filtered (all)", elapsed, "statements")
        );
    }
    if reads.requests > 0 {
        println!(
            "{}",
            reads.report("  all reads (pages)", elapsed, "statements")
        );
    }
}

async fn run_readers(
    c: &Common,
    setup: &Setup,
    plan: ReadPlan,
) -> Result<(BTreeMap<String, Recorder>, CpuWindow, Duration)> {
    let measure_from = Instant::now() + Duration::from_secs(plan.warmup);
    let deadline = measure_from + Duration::from_secs(plan.duration);
    let duration = plan.duration;
    let tasks: Vec<_> = (0..plan.concurrency.max(1))
        .map(|i| {
            tokio::spawn(reader(
                setup.conn_at(i),
                setup.universe.clone(),
                plan.clone(),
                c.seed.wrapping_add(i as u64 * 7919),
                measure_from,
                deadline,
            ))
        })
        .collect();
    tokio::time::sleep_until(measure_from.into()).await;
    let cpu = cpu_window(c);
    let mut all: BTreeMap<String, Recorder> = BTreeMap::new();
    for t in tasks {
        for (k, v) in t.await.map_err(|e| e.to_string())? {
            all.entry(k).or_default().merge(v);
        }
    }
    Ok((all, cpu, Duration::from_secs(duration)))
}

/// Readers spread over the nodes of `setup`, half by id (among the first `written` statements
/// of `salt`) and half filtered (following `more` three times in ten): results per kind, the CPU
/// window and the measured time.
pub(super) async fn read_mix(
    c: &Common,
    setup: &Setup,
    salt: u64,
    written: u64,
    concurrency: usize,
    duration: u64,
    limit: usize,
) -> Result<(BTreeMap<String, Recorder>, CpuWindow, Duration)> {
    let plan = ReadPlan {
        ids: Ids::Runs(Arc::new(vec![(salt, written.max(1))])),
        mix: ReadMix::Both,
        concurrency,
        limit,
        follow_more: 0.3,
        warmup: 3,
        duration,
    };
    run_readers(c, setup, plan).await
}

pub async fn reads(c: &Common, a: ReadArgs) -> Result {
    let setup = Setup::new(c);
    let runs = load_runs(&a.record)?;
    let total: u64 = runs.iter().map(|(_, n)| n).sum();
    let ids = Ids::Runs(Arc::new(runs));
    for (label, mix) in [
        ("by statementId", ReadMix::ById),
        ("filtered", ReadMix::Filtered),
    ] {
        let plan = ReadPlan {
            ids: ids.clone(),
            mix,
            concurrency: a.concurrency,
            limit: a.limit,
            follow_more: a.follow_more,
            warmup: a.warmup,
            duration: a.duration,
        };
        let (all, cpu, elapsed) = run_readers(c, &setup, plan).await?;
        println!(
            "reads {label}: {} connections, {} s, {total} statements stored by fill",
            a.concurrency, a.duration
        );
        report(all, elapsed);
        footer(c, &cpu, elapsed);
    }
    Ok(())
}

pub async fn mixed(c: &Common, a: MixedArgs) -> Result {
    let setup = Setup::new(c);
    let salt = salt_or_fresh(None);
    let counter = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let measure_from = start + Duration::from_secs(a.warmup);
    let deadline = measure_from + Duration::from_secs(a.duration);
    let plan = WritePlan {
        pool: setup.pool.clone(),
        salt,
        counter: counter.clone(),
        batch: a.batch.max(1),
        measure_from,
        deadline,
        limit: None,
        interval: None,
        acked: Default::default(),
    };
    let writers: Vec<_> = (0..a.writers.max(1))
        .map(|_| tokio::spawn(writer(setup.conn(), plan.clone())))
        .collect();
    let ids = Ids::Live { salt, counter };
    let plan = ReadPlan {
        ids,
        mix: ReadMix::Both,
        concurrency: a.readers,
        limit: a.limit,
        follow_more: 0.3,
        warmup: a.warmup,
        duration: a.duration,
    };
    let (mut all, cpu, elapsed) = run_readers(c, &setup, plan).await?;
    let mut w = Recorder::default();
    for t in writers {
        w.merge(t.await.map_err(|e| e.to_string())?);
    }
    all.insert("POST /statements".into(), w);
    println!(
        "mixed: {} writers (batch {}) + {} readers, {} s",
        a.writers, a.batch, a.readers, a.duration
    );
    report(all, elapsed);
    footer(c, &cpu, elapsed);
    Ok(())
}
