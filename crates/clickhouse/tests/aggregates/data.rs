//! The aggregates test's data: random statements of a few actors, verbs and activities over four
//! days, statements sharing an aggregate cell, voiding statements of every kind, and how the
//! projector writes them (rows, then the retractions the log's indexes give).
use cairn_clickhouse::ClickHouseProjection;
use cairn_core::{FilterKeys, StatementRecord, StoreId};
use rand::{Rng, rngs::StdRng};
use serde_json::{Value, json};
use std::sync::Arc;
use uuid::Uuid;

pub const T0: i64 = 1_763_942_400_000_000; // 2025-11-24T00:00:00Z, a Monday
const HOUR_US: i64 = 3_600_000_000;
const VOIDED: &str = "http://adlnet.gov/expapi/verbs/voided";

fn datetime(us: i64) -> String {
    jiff::Timestamp::from_microsecond(us)
        .unwrap()
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// A statement of the test's log: its `statements` row, and what the projector reads of it.
#[derive(Clone)]
pub struct Stmt {
    pub seq: u64,
    pub store: StoreId,
    pub id: Uuid,
    pub voids: Option<Uuid>,
    pub row: Value,
}

/// A random statement at `seq`: timestamp over four days, `stored` increasing over ten hours,
/// few actors/verbs/activities, dyadic scores (exact sums).
fn random(store: StoreId, seq: u64, rng: &mut StdRng) -> Stmt {
    let ts = T0 + rng.random_range(0..4 * 24 * 3600) * 1_000_000 + rng.random_range(0..1_000_000);
    let stored = T0 + (seq as i64) * 36 * 1_000_000_000 / 1000;
    let keep: [bool; 5] = std::array::from_fn(|_| rng.random_bool(0.7));
    let opt = |i: usize, v: Value| if keep[i] { v } else { Value::Null };
    let id = Uuid::from_u128(rng.random());
    let row = json!({
        "store": store.0.to_string(), "seq": seq, "statement_id": id.to_string(),
        "stored": datetime(stored), "stored_us": stored,
        "timestamp": datetime(ts), "timestamp_us": ts,
        "actor_ifi": format!("mbox:mailto:{}@x", rng.random_range(0..6)),
        "verb": format!("http://v/{}", rng.random_range(0..3)),
        "object_type": "Activity",
        "object_id": format!("http://a/{}", rng.random_range(0..4)),
        "activity_type": format!("http://t/{}", rng.random_range(0..2)),
        "registration": if rng.random_bool(0.5) { "r1" } else { "" },
        "platform": if rng.random_bool(0.5) { "web" } else { "app" },
        "context_parent": if rng.random_bool(0.5) { vec!["p1", "p2"] } else { vec![] },
        "score_scaled": opt(0, json!(rng.random_range(-8..=8) as f64 / 8.0)),
        "score_raw": opt(1, json!(rng.random_range(0..=100) as f64)),
        "duration_ms": opt(2, json!(rng.random_range(0..100_000))),
        "success": opt(3, json!(rng.random_range(0..2))),
        "completion": opt(4, json!(rng.random_range(0..2))),
    });
    Stmt {
        seq,
        store,
        id,
        voids: None,
        row,
    }
}

/// A statement at `seq` in the same aggregate cell as `of` (actor, verb, activity, type, UTC
/// hour; stored right after it), with other values.
fn mate(of: &Stmt, seq: u64, rng: &mut StdRng) -> Stmt {
    let mut s = random(of.store, seq, rng);
    let ts = of.row["timestamp_us"].as_i64().unwrap();
    let ts = ts - ts.rem_euclid(HOUR_US) + rng.random_range(0..HOUR_US);
    s.row["timestamp_us"] = json!(ts);
    s.row["timestamp"] = json!(datetime(ts));
    for k in ["actor_ifi", "verb", "object_id", "activity_type"] {
        s.row[k] = of.row[k].clone();
    }
    s
}

/// Gives a statement the extreme values, so that voiding it changes minima and maxima.
fn extreme(s: &mut Stmt, rng: &mut StdRng) {
    let low = rng.random_bool(0.5);
    s.row["score_scaled"] = json!(if low { -1.0 } else { 1.0 });
    s.row["score_raw"] = json!(if low { -1.0 } else { 101.0 });
    s.row["duration_ms"] = json!(if low { -1 } else { 100_000 });
}

/// A voiding statement at `seq` naming `target` (its own actor and values, counted as usual).
pub fn voiding(store: StoreId, seq: u64, target: Uuid, rng: &mut StdRng) -> Stmt {
    let mut s = random(store, seq, rng);
    s.voids = Some(target);
    s.row["verb"] = json!(VOIDED);
    s.row["object_type"] = json!("StatementRef");
    s.row["object_id"] = json!(target.to_string());
    s.row["activity_type"] = json!("");
    s.row["voids"] = json!(target.to_string());
    s
}

/// `n` statements of `store` from seq `first`: random, except that every 15th is voided later
/// (and has extreme values) and the next one shares its cell.
pub fn batch(store: StoreId, first: u64, n: u64, rng: &mut StdRng) -> Vec<Stmt> {
    let mut out: Vec<Stmt> = Vec::new();
    for seq in first..first + n {
        let s = match out.last() {
            Some(prev) if seq % 15 == 1 => mate(prev, seq, rng),
            _ => random(store, seq, rng),
        };
        out.push(s);
        if seq % 15 == 0 {
            extreme(out.last_mut().unwrap(), rng);
        }
    }
    out
}

/// The statements of `log` that are voided: not voiding, named by a voiding statement of their
/// store (the definition the raw plan applies, restated for the expected counts).
pub fn voided(log: &[Stmt]) -> Vec<u64> {
    log.iter()
        .filter(|s| {
            s.voids.is_none()
                && log
                    .iter()
                    .any(|v| v.store == s.store && v.voids == Some(s.id))
        })
        .map(|s| s.seq)
        .collect()
}

fn record(s: &Stmt) -> (u64, Arc<StatementRecord>) {
    let rec = StatementRecord {
        store: s.store,
        id: s.id,
        stored_us: 0,
        keys: FilterKeys::default(),
        voids: s.voids,
        attachments: vec![],
        body: b"{}".to_vec(),
        facts: None,
    };
    (s.seq, Arc::new(rec))
}

/// Projects `batch` the way the projector does: its rows, then its retractions, derived with
/// the indexes of the whole `log` (which the writer has committed by then).
pub async fn insert(p: &ClickHouseProjection, batch: &[Stmt], log: &[Stmt]) {
    insert_rows(p, batch).await;
    let rows: Vec<_> = batch.iter().map(record).collect();
    let seq_of = |store, id| {
        Ok::<_, ()>(
            log.iter()
                .find(|s| s.store == store && s.id == id)
                .map(|s| s.seq),
        )
    };
    let voided_by = |store, id| {
        Ok(log
            .iter()
            .filter(|s| s.store == store && s.voids == Some(id))
            .map(|s| s.seq)
            .min())
    };
    let r = cairn_core::voiding::retractions(&rows, seq_of, voided_by).unwrap();
    p.retract(&r).await.unwrap();
}

/// Only the rows (a crash before the retractions).
pub async fn insert_rows(p: &ClickHouseProjection, batch: &[Stmt]) {
    let body: Vec<String> = batch.iter().map(|s| s.row.to_string()).collect();
    p.client()
        .query_raw(&format!(
            "INSERT INTO statements FORMAT JSONEachRow\n{}",
            body.join("\n")
        ))
        .execute()
        .await
        .unwrap();
    // The projector feeds the fan-out views with each batch: the same, in SQL.
    let lo = batch.iter().map(|s| s.seq).min().unwrap_or(1);
    let hi = batch.iter().map(|s| s.seq).max().unwrap_or(0);
    p.feed_from_statements(lo - 1, hi).await.unwrap();
}

/// The test's log: voided statements of every kind across four batches of `store` and one of
/// `other` (see the module doc).
pub fn log(store: StoreId, other: StoreId, rng: &mut StdRng) -> Vec<Vec<Stmt>> {
    let a = batch(store, 1, 400, rng);
    let mut b = batch(other, 401, 50, rng);
    // Names a statement of `store`: voids nothing here.
    b.push(voiding(other, 451, a[100].id, rng));
    let mut c = batch(store, 452, 200, rng);
    let (late, late_voiding) = (Uuid::from_u128(rng.random()), Uuid::from_u128(rng.random()));
    let targets: Vec<Uuid> = a
        .iter()
        .chain(&c)
        .filter(|s| s.seq % 15 == 0)
        .map(|s| s.id)
        .collect();
    let mut seq = 652;
    for t in targets
        .iter()
        .chain([&targets[0], &late, &Uuid::from_u128(42), &late_voiding])
    {
        c.push(voiding(store, seq, *t, rng));
        seq += 1;
    }
    let mut d = batch(store, seq, 40, rng);
    d[5].id = late; // voided before it arrives
    let after = d.len() as u64 + seq;
    // A voiding statement is never voided, even when named by one that came before it.
    let mut v = voiding(store, after, a[3].id, rng);
    v.id = late_voiding;
    v.row["statement_id"] = json!(late_voiding.to_string());
    d.push(v);
    d[5].row["statement_id"] = json!(late.to_string());
    vec![a, b, c, d]
}
