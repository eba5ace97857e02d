//! `aggregates`: the analytics API against a filled store, as a site administrator (logged in
//! with `POST /api/v1/auth/login`, then a personal token): (a) `POST /api/v1/stores/{id}/
//! aggregate` for a daily time series grouped by verb (count + unique actors) over `--days` of
//! the generated data's six months, in a time zone; (b) the query builder's autocomplete,
//! `GET /api/v1/stores/{id}/values` by path and by a prefix of a generated value. With `--void`,
//! it first voids random statements of the fill, to measure the aggregate plan's correction.
use super::{Result, cpu_window, enc, footer};
use crate::Common;
use crate::client::{Conn, Target};
use crate::stats::Recorder;
use crate::workload::{EPOCH_END_S, SPAN_S, Universe, format_rfc3339, statement_id};
use clap::Args;
use hyper::Method;
use hyper::header::{COOKIE, HeaderValue, ORIGIN, SET_COOKIE};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Args, Clone)]
pub struct AggregatesArgs {
    #[command(flatten)]
    pub admin: super::Admin,
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Measured seconds of each phase (aggregate, then autocomplete).
    #[arg(long, default_value_t = 30)]
    pub duration: u64,
    #[arg(long, default_value_t = 3)]
    pub warmup: u64,
    /// Length of the time series, in days (whole UTC days inside the generated six months).
    #[arg(long, default_value_t = 90)]
    pub days: i64,
    /// Time zone of the daily buckets.
    #[arg(long, default_value = "Europe/Paris")]
    pub tz: String,
    /// `auto`, `aggregate` or `raw` (where the aggregate endpoint reads from).
    #[arg(long, default_value = "auto")]
    pub source: String,
    /// Values per autocomplete answer.
    #[arg(long, default_value_t = 10)]
    pub values_limit: u64,
    /// First void this many statements of the fill (random ones, through the xAPI as the
    /// default client), so that the aggregate plan includes its correction for voided
    /// statements. The voiding statements stay in the store.
    #[arg(long, default_value_t = 0)]
    pub void: usize,
    /// The ids `fill` wrote (for --void).
    #[arg(long, default_value_os_t = crate::default_record())]
    pub record: std::path::PathBuf,
}

/// Voids `--void` random statements of the fill runs in `--record`, then waits until ClickHouse
/// holds the voiding statements and has recorded every statement they void.
async fn void(c: &Common, a: &AggregatesArgs, rng: &mut StdRng) -> Result {
    let runs = super::read::load_runs(&a.record)?;
    let mut ch = Conn::new(Target::plain(c.clickhouse_addr));
    let path = format!("/?database={}", c.clickhouse_db);
    // Voiding statements; distinct statements they name; statements recorded as voided.
    let sql = "SELECT (SELECT count() FROM voids), (SELECT uniqExact(voided_id) FROM voids), \
               (SELECT uniqExact(seq) FROM voided) FORMAT TabSeparated";
    let mut counts = async || -> Result<Vec<u64>> {
        let (s, b) = ch.send(Method::POST, &path, Some(sql.into())).await?;
        let text = String::from_utf8_lossy(&b).to_string();
        if !s.is_success() {
            return Err(format!("clickhouse: {s}: {text}"));
        }
        Ok(text
            .split_whitespace()
            .filter_map(|n| n.parse().ok())
            .collect())
    };
    let before = counts().await?;
    if before.len() != 3 {
        return Err(format!("clickhouse answered {before:?}"));
    }
    let body: Vec<Value> = (0..a.void)
        .map(|_| {
            let (salt, count) = runs[rng.random_range(0..runs.len())];
            json!({"actor": {"mbox": "mailto:load-admin@example.com"},
                   "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
                   "object": {"objectType": "StatementRef",
                              "id": statement_id(salt, rng.random_range(0..count))}})
        })
        .collect();
    let mut xapi = Conn::new(Target::new(c.addr(), &c.key, &c.secret));
    let body = Value::Array(body).to_string();
    let (s, b) = xapi
        .send(Method::POST, "/xapi/statements", Some(body.into()))
        .await?;
    if !s.is_success() {
        return Err(format!("voiding: {s}: {}", String::from_utf8_lossy(&b)));
    }
    for _ in 0..600 {
        let now = counts().await?;
        if now.len() == 3 && now[0] >= before[0] + a.void as u64 && now[2] >= now[1] {
            println!(
                "voided {} more statements: {} voided in all",
                now[2] - before[2],
                now[2]
            );
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err("the voiding statements never reached ClickHouse's `voided` table".into())
}

/// Logs in and creates a personal token for this run.
pub(super) async fn token(c: &Common, email: &str, password: &str) -> Result<String> {
    let mut conn = Conn::new(Target::plain(c.addr()));
    let login = json!({"email": email, "password": password}).to_string();
    let (status, headers, body) = conn
        .send_with(Method::POST, "/api/v1/auth/login", Some(login.into()), &[])
        .await?;
    if !status.is_success() {
        return Err(format!(
            "login as {email}: {status}: {}",
            String::from_utf8_lossy(&body)
        ));
    }
    let cookie = headers
        .get(SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .ok_or("login answered without a session cookie")?;
    let cookie = HeaderValue::from_str(cookie).map_err(|e| e.to_string())?;
    let body = json!({"name": "load-tests"}).to_string();
    let (status, _, body) = conn
        .send_with(
            Method::POST,
            "/api/v1/me/tokens",
            Some(body.into()),
            &[
                (COOKIE, cookie),
                // A cookie-authenticated write must carry the page's origin (CSRF check).
                (
                    ORIGIN,
                    HeaderValue::from_str(&format!("http://{}", c.addr()))
                        .map_err(|e| e.to_string())?,
                ),
            ],
        )
        .await?;
    let v: Value = serde_json::from_slice(&body).unwrap_or_default();
    match v["secret"].as_str() {
        Some(s) if status.is_success() => Ok(s.to_owned()),
        _ => Err(format!("personal token: {status}: {v}")),
    }
}

/// The aggregate request: a `days`-day window ending on a random whole day of the data's span.
fn aggregate_body(a: &AggregatesArgs, rng: &mut StdRng) -> String {
    let days = a.days.clamp(1, SPAN_S / 86_400);
    let shift = rng.random_range(0..=SPAN_S / 86_400 - days);
    let to = EPOCH_END_S - shift * 86_400;
    let from = to - days * 86_400;
    json!({
        "group_by": [{"time": "day"}, "verb"],
        "measures": ["count", "unique_actors"],
        "tz": a.tz,
        "from": format!("{}Z", format_rfc3339(from)),
        "to": format!("{}Z", format_rfc3339(to)),
        "source": a.source,
        "limit": 10_000,
    })
    .to_string()
}

/// Autocomplete paths and the generated values their prefixes are cut from.
fn value_pools(u: &Universe) -> Vec<(&'static str, Vec<String>)> {
    vec![
        ("verb", u.verbs.clone()),
        ("object.id", u.activity_ids.clone()),
        ("actor", u.actor_ifis()),
        ("context.parent", u.courses.clone()),
        (
            "registration",
            u.registrations.iter().map(|r| r.to_string()).collect(),
        ),
    ]
}

/// A `values` request: a random path, and a prefix (1 to all characters) of one of its values.
fn values_path(store: &str, pools: &[(&str, Vec<String>)], limit: u64, rng: &mut StdRng) -> String {
    let (path, values) = &pools[rng.random_range(0..pools.len())];
    let v = &values[rng.random_range(0..values.len())];
    let cut: Vec<char> = v
        .chars()
        .take(rng.random_range(1..=v.chars().count()))
        .collect();
    let prefix: String = cut.into_iter().collect();
    format!(
        "/api/v1/stores/{store}/values?path={path}&prefix={}&limit={limit}",
        enc(&prefix)
    )
}

/// What a worker reads of an answer: where it came from and how many rows or values it holds
/// (skipped over, not built: the generator shares the machine with the server).
#[derive(Default, serde::Deserialize)]
struct Answer {
    source: Option<String>,
    rows: Option<Vec<serde::de::IgnoredAny>>,
    items: Option<Vec<serde::de::IgnoredAny>>,
}

#[derive(Default)]
struct Outcome {
    rec: Recorder,
    /// Where each aggregate was served from (`source` of the answer).
    sources: BTreeMap<String, u64>,
}

#[derive(Clone, Copy, PartialEq)]
enum Phase {
    Aggregate,
    Values,
}

async fn worker(
    mut conn: Conn,
    a: Arc<AggregatesArgs>,
    pools: Arc<Vec<(&'static str, Vec<String>)>>,
    phase: Phase,
    seed: u64,
    measure_from: Instant,
    deadline: Instant,
) -> Outcome {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = Outcome::default();
    while Instant::now() < deadline {
        let (method, path, body) = match phase {
            Phase::Aggregate => (
                Method::POST,
                format!("/api/v1/stores/{}/aggregate", a.admin.store),
                Some(aggregate_body(&a, &mut rng).into()),
            ),
            Phase::Values => (
                Method::GET,
                values_path(&a.admin.store, &pools, a.values_limit, &mut rng),
                None,
            ),
        };
        let t = Instant::now();
        let r = conn.send(method, &path, body).await;
        let took = t.elapsed();
        match r {
            Ok((s, body)) if s.is_success() => {
                let v: Answer = serde_json::from_slice(&body).unwrap_or_default();
                if t >= measure_from {
                    let items = v.rows.or(v.items).map_or(0, |i| i.len() as u64);
                    out.rec.ok(took, items);
                    if let Some(src) = v.source {
                        *out.sources.entry(src).or_default() += 1;
                    }
                }
            }
            Ok((s, body)) => {
                if out.rec.errors == 0 {
                    eprintln!("{path}: {s}: {}", String::from_utf8_lossy(&body));
                }
                out.rec.error(s.as_u16().to_string());
            }
            Err(e) => out.rec.error(e),
        }
    }
    out
}

pub async fn aggregates(c: &Common, a: AggregatesArgs) -> Result {
    let universe = Universe::new(c.seed, c.actors, c.activities, c.registrations);
    if a.void > 0 {
        void(c, &a, &mut StdRng::seed_from_u64(c.seed ^ 0x701D)).await?;
    }
    let token = token(c, &a.admin.email, &a.admin.password).await?;
    let target = Target::bearer(c.addr(), &token);
    let pools = Arc::new(value_pools(&universe));
    let a = Arc::new(a);
    // What the store holds, as the aggregate endpoint counts it (voided statements left out).
    let mut conn = Conn::new(target.clone());
    let total = json!({"measures": ["count"], "source": a.source}).to_string();
    let (s, body) = conn
        .send(
            Method::POST,
            &format!("/api/v1/stores/{}/aggregate", a.admin.store),
            Some(total.into()),
        )
        .await?;
    let v: Value = serde_json::from_slice(&body).unwrap_or_default();
    if !s.is_success() {
        return Err(format!("aggregate: {s}: {v}"));
    }
    println!(
        "store {}: {} statements projected, not voided (source {}); {}-day daily series by \
         verb in {}, autocomplete over {} paths",
        a.admin.store,
        v["rows"][0]["values"][0].as_f64().unwrap_or(0.0) as u64,
        v["source"].as_str().unwrap_or("?"),
        a.days,
        a.tz,
        pools.len()
    );
    for (label, phase, item) in [
        ("aggregate", Phase::Aggregate, "rows"),
        ("autocomplete", Phase::Values, "values"),
    ] {
        let measure_from = Instant::now() + Duration::from_secs(a.warmup);
        let deadline = measure_from + Duration::from_secs(a.duration);
        let tasks: Vec<_> = (0..a.concurrency.max(1))
            .map(|i| {
                tokio::spawn(worker(
                    Conn::new(target.clone()),
                    a.clone(),
                    pools.clone(),
                    phase,
                    c.seed.wrapping_add(i as u64 * 7919),
                    measure_from,
                    deadline,
                ))
            })
            .collect();
        tokio::time::sleep_until(measure_from.into()).await;
        let cpu = cpu_window(c);
        let mut all = Outcome::default();
        for t in tasks {
            let o = t.await.map_err(|e| e.to_string())?;
            all.rec.merge(o.rec);
            for (k, n) in o.sources {
                *all.sources.entry(k).or_default() += n;
            }
        }
        let elapsed = Duration::from_secs(a.duration);
        println!(
            "aggregates {label}: {} connections, {} s",
            a.concurrency, a.duration
        );
        let name = match phase {
            Phase::Aggregate => "  POST aggregate",
            Phase::Values => "  GET values",
        };
        println!("{}", all.rec.report(name, elapsed, item));
        if phase == Phase::Aggregate {
            println!("  served from: {:?}", all.sources);
        }
        footer(c, &cpu, elapsed);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        a: AggregatesArgs,
    }

    fn args(extra: &[&str]) -> AggregatesArgs {
        Cli::parse_from(std::iter::once("x").chain(extra.iter().copied())).a
    }

    fn secs(v: &Value) -> i64 {
        let s = v.as_str().unwrap();
        (0..=SPAN_S / 86_400)
            .map(|d| EPOCH_END_S - d * 86_400)
            .find(|t| format!("{}Z", format_rfc3339(*t)) == s)
            .unwrap_or_else(|| panic!("{s} is not a whole day of the span"))
    }

    #[test]
    fn series_are_whole_days_inside_the_generated_span() {
        let a = args(&["--days", "90", "--tz", "Asia/Tokyo"]);
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..50 {
            let v: Value = serde_json::from_str(&aggregate_body(&a, &mut rng)).unwrap();
            let (from, to) = (secs(&v["from"]), secs(&v["to"]));
            assert_eq!(to - from, 90 * 86_400);
            assert!(from >= EPOCH_END_S - SPAN_S && to <= EPOCH_END_S);
            assert_eq!(v["group_by"], json!([{"time": "day"}, "verb"]));
            assert_eq!(v["measures"], json!(["count", "unique_actors"]));
            assert_eq!(
                (v["tz"].as_str(), v["source"].as_str()),
                (Some("Asia/Tokyo"), Some("auto"))
            );
        }
    }

    #[test]
    fn autocomplete_prefixes_come_from_generated_values() {
        let u = Universe::new(3, 40, 30, 10);
        let pools = value_pools(&u);
        let ifis = u.actor_ifis();
        assert!(ifis[0].starts_with("mbox:mailto:learner0@"), "{}", ifis[0]);
        assert!(ifis[1].starts_with("mbox_sha1sum:"), "{}", ifis[1]);
        assert_eq!(ifis[2], "openid:https://openid.example.org/u/2");
        assert_eq!(ifis[3], "account:https://lms.example.org|user3");
        let mut rng = StdRng::seed_from_u64(2);
        for _ in 0..200 {
            let p = values_path("s", &pools, 10, &mut rng);
            let query = p.split_once('?').unwrap().1;
            let kv: BTreeMap<String, String> = form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect();
            let values = &pools
                .iter()
                .find(|(path, _)| *path == kv["path"])
                .unwrap()
                .1;
            assert!(!kv["prefix"].is_empty());
            assert!(values.iter().any(|v| v.starts_with(&kv["prefix"])), "{p}");
            assert_eq!(kv["limit"], "10");
        }
    }
}
