//! What the dashboards' charts ask of the aggregates, on random statements (with voided ones)
//! read both ways on a real ClickHouse: the top N by a measure (against the whole answer sorted
//! here), the comparison with the previous period (against the previous period asked directly,
//! time buckets aligned), and numeric buckets (raw table only, against buckets computed here).
mod common;
#[allow(dead_code)]
#[path = "aggregates/data.rs"]
mod data;
use cairn_clickhouse::ClickHouseProjection;
use cairn_clickhouse::aggregate::{aggregate, plan};
use cairn_core::StoreId;
use cairn_core::analytics::{AggregateQuery, AggregateResult, AggregateRow};
use cairn_core::ports::Projection;
use data::{Stmt, T0, insert, log, voided};
use rand::{SeedableRng, rngs::StdRng};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use uuid::Uuid;

const NOW_US: i64 = 1_764_216_000_000_000; // 2025-11-27T04:00:00Z
const DAY_US: i64 = 86_400_000_000;

fn at(us: i64) -> String {
    jiff::Timestamp::from_microsecond(us).unwrap().to_string()
}

async fn ask(p: &ClickHouseProjection, store: StoreId, req: &Value) -> AggregateResult {
    let q = AggregateQuery::parse(store, req).unwrap_or_else(|e| panic!("{req}: {e}"));
    aggregate(p, &q, NOW_US)
        .await
        .unwrap_or_else(|e| panic!("{req}: {e}"))
}

/// Asks raw and aggregate; asserts they agree and returns the answer.
async fn both(p: &ClickHouseProjection, store: StoreId, req: &Value) -> Vec<AggregateRow> {
    let mut req = req.clone();
    req["source"] = json!("raw");
    let raw = ask(p, store, &req).await;
    req["source"] = json!("aggregate");
    let agg = ask(p, store, &req).await;
    assert_eq!((raw.source, agg.source), ("raw", "aggregate"));
    assert_eq!(raw.rows, agg.rows, "{req}");
    raw.rows
}

async fn setup() -> (ClickHouseProjection, StoreId, Vec<Stmt>) {
    let p = common::fresh_projection().await;
    p.migrate().await.unwrap();
    let (store, other) = (StoreId(Uuid::new_v4()), StoreId(Uuid::new_v4()));
    let mut rng = StdRng::seed_from_u64(11);
    let batches = log(store, other, &mut rng);
    let all: Vec<Stmt> = batches.concat();
    for b in &batches {
        insert(&p, b, &all).await;
    }
    let mine: Vec<Stmt> = all.into_iter().filter(|s| s.store == store).collect();
    let gone = voided(&mine);
    let kept = mine
        .into_iter()
        .filter(|s| !gone.contains(&s.seq))
        .collect();
    (p, store, kept)
}

fn measures() -> Value {
    json!(["count", "unique_actors", {"avg": "result.score.scaled"}, {"max": "result.duration_ms"},
        {"sum": "result.score.raw"}])
}

#[tokio::test(flavor = "multi_thread")]
async fn top_n_by_a_measure_both_ways() {
    let (p, store, _) = setup().await;
    for (group_by, m) in [
        (json!(["actor"]), 0),
        (json!(["verb", "activity"]), 2),
        (json!([{"time": "day"}, "actor"]), 3),
        (json!(["activity", "actor"]), 1),
    ] {
        let all = both(
            &p,
            store,
            &json!({"group_by": group_by, "measures": measures()}),
        )
        .await;
        for desc in [true, false] {
            let mut want = all.clone();
            want.sort_by(|a, b| {
                let (x, y) = (a.values[m], b.values[m]);
                let v = match (x, y) {
                    (Some(x), Some(y)) if desc => y.total_cmp(&x),
                    (Some(x), Some(y)) => x.total_cmp(&y),
                    // Values before nulls, in both directions.
                    (x, y) => y.is_some().cmp(&x.is_some()),
                };
                v.then_with(|| a.keys.cmp(&b.keys))
            });
            want.truncate(5);
            let dir = if desc { "desc" } else { "asc" };
            let req = json!({"group_by": group_by, "measures": measures(), "limit": 5,
                "order_by": {"measure": m, "dir": dir}});
            let got = both(&p, store, &req).await;
            assert_eq!(got, want, "{req}");
        }
    }
    common::cleanup(&p).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn previous_period_both_ways_and_aligned() {
    let (p, store, _) = setup().await;
    let range = |from: i64, to: i64| json!({"from": at(from), "to": at(to)});
    let with = |mut a: Value, b: Value| {
        for (k, v) in b.as_object().unwrap() {
            a[k] = v.clone();
        }
        a
    };
    // Other dimensions: each row's previous values are its keys' over the previous period.
    let base = json!({"group_by": ["verb", "activity_type"], "measures": measures()});
    let now = both(
        &p,
        store,
        &with(
            base.clone(),
            with(
                range(T0 + DAY_US, T0 + 3 * DAY_US),
                json!({"compare": "previous_period"}),
            ),
        ),
    )
    .await;
    let before = both(
        &p,
        store,
        &with(base.clone(), range(T0 - DAY_US, T0 + DAY_US)),
    )
    .await;
    let before: BTreeMap<_, _> = before.into_iter().map(|r| (r.keys, r.values)).collect();
    assert!(!now.is_empty());
    for r in &now {
        let want = before.get(&r.keys).cloned().unwrap_or_else(|| {
            vec![Some(0.0), Some(0.0), None, None, Some(0.0)] // no statements then
        });
        assert_eq!(r.previous.as_ref(), Some(&want), "{:?}", r.keys);
    }
    // Time buckets: the previous period is shifted onto the current one's buckets.
    for tz in ["UTC", "Asia/Tokyo"] {
        let day = json!({"group_by": [{"time": "day"}, "verb"], "measures": ["count"], "tz": tz});
        let now = both(
            &p,
            store,
            &with(
                day.clone(),
                with(
                    range(T0 + 2 * DAY_US, T0 + 4 * DAY_US),
                    json!({"compare": "previous_period"}),
                ),
            ),
        )
        .await;
        let before = both(&p, store, &with(day, range(T0, T0 + 2 * DAY_US))).await;
        let shifted: BTreeMap<_, _> = before
            .into_iter()
            .map(|r| {
                let d: jiff::civil::Date = r.keys[0].parse().unwrap();
                let d = d.checked_add(jiff::Span::new().days(2)).unwrap();
                ((d.to_string(), r.keys[1].clone()), r.values)
            })
            .collect();
        for r in &now {
            let key = (r.keys[0].clone(), r.keys[1].clone());
            let want = shifted.get(&key).cloned().unwrap_or(vec![Some(0.0)]);
            assert_eq!(r.previous.as_ref(), Some(&want), "{tz} {key:?}");
        }
    }
    // The counter: a total with its previous total, even when the current period is empty.
    let total = |from, to| {
        let p = p.clone();
        async move {
            both(
                &p,
                store,
                &with(json!({"measures": ["count"]}), range(from, to)),
            )
            .await[0]
                .values[0]
        }
    };
    let counter = both(
        &p,
        store,
        &with(
            json!({"measures": ["count", {"avg": "result.score.scaled"}]}),
            with(
                range(T0 + 4 * DAY_US, T0 + 8 * DAY_US),
                json!({"compare": "previous_period"}),
            ),
        ),
    )
    .await;
    assert_eq!(counter.len(), 1);
    assert_eq!(counter[0].values, [Some(0.0), None]);
    let previous = counter[0].previous.as_ref().unwrap();
    assert_eq!(previous[0], total(T0, T0 + 4 * DAY_US).await);
    assert!(previous[0].unwrap() > 0.0 && previous[1].is_some());
    // Top N with comparison: the previous values of the current top N.
    let top = both(
        &p,
        store,
        &json!({"group_by": ["actor"], "measures": ["count"], "order_by": {"measure": 0},
            "limit": 2, "from": at(T0 + 2 * DAY_US), "to": at(T0 + 4 * DAY_US),
            "compare": "previous_period"}),
    )
    .await;
    assert_eq!(top.len(), 2);
    for r in &top {
        let actor = json!({"field": "actor", "eq": r.keys[0]});
        let req = with(
            json!({"filter": actor, "measures": ["count"]}),
            range(T0, T0 + 2 * DAY_US),
        );
        let want = both(&p, store, &req).await;
        let want = want.first().map_or(Some(0.0), |w| w.values[0]);
        assert_eq!(r.previous.as_ref().unwrap()[0], want);
    }
    common::cleanup(&p).await;
}

/// The bucket of `x` (its lower bound as the API writes it).
fn bucket_of(x: f64, width: f64, origin: f64) -> String {
    let i = ((x - origin) / width).floor() as i64;
    cairn_clickhouse::aggregate::lower_bound(origin, width, i)
}

#[tokio::test(flavor = "multi_thread")]
async fn numeric_buckets_from_the_raw_table() {
    let (p, store, kept) = setup().await;
    for (path, column, width, origin) in [
        ("result.score.raw", "score_raw", 10.0, 0.0),
        ("result.score.scaled", "score_scaled", 0.25, -0.125),
        ("result.duration_ms", "duration_ms", 25_000.0, 5_000.0),
    ] {
        let req = json!({"group_by": [{"bucket": {"path": path, "width": width, "origin": origin}}],
            "measures": ["count", "unique_actors"]});
        let got = ask(&p, store, &req).await;
        assert_eq!(got.source, "raw");
        let mut want: BTreeMap<String, (u64, Vec<String>)> = BTreeMap::new();
        for s in &kept {
            let key = s.row[column]
                .as_f64()
                .map_or(String::new(), |x| bucket_of(x, width, origin));
            let e = want.entry(key).or_default();
            e.0 += 1;
            let actor = s.row["actor_ifi"].as_str().unwrap().to_string();
            if !e.1.contains(&actor) {
                e.1.push(actor);
            }
        }
        // Numeric order of the lower bounds, the statements without a value last.
        let mut want: Vec<AggregateRow> = want
            .into_iter()
            .map(|(k, (n, actors))| AggregateRow {
                keys: vec![k],
                values: vec![Some(n as f64), Some(actors.len() as f64)],
                previous: None,
            })
            .collect();
        want.sort_by(|a, b| {
            let n = |r: &AggregateRow| r.keys[0].parse::<f64>().unwrap_or(f64::INFINITY);
            n(a).total_cmp(&n(b))
        });
        assert_eq!(got.rows, want, "{req}");
    }
    // With a second dimension, and ordered by a measure.
    let got = ask(
        &p,
        store,
        &json!({"group_by": ["verb", {"bucket": {"path": "result.score.raw", "width": 50}}],
            "measures": ["count"], "order_by": {"measure": 0}, "limit": 3}),
    )
    .await;
    assert_eq!(got.rows.len(), 3);
    assert!(
        got.rows
            .windows(2)
            .all(|w| w[0].values[0] >= w[1].values[0])
    );
    assert!(
        got.rows
            .iter()
            .all(|r| ["0", "50", "100", ""].contains(&r.keys[1].as_str()))
    );
    // Too many buckets: a 400 naming the width; the aggregates cannot serve buckets.
    let q = AggregateQuery::parse(
        store,
        &json!({"group_by": [{"bucket": {"path": "result.duration_ms", "width": 10}}]}),
    )
    .unwrap();
    let q = AggregateQuery {
        buckets_max: 20,
        ..q
    };
    let e = aggregate(&p, &q, NOW_US).await.unwrap_err();
    assert!(
        e.to_string()
            .starts_with("/group_by/0/bucket/width: more than 20"),
        "{e}"
    );
    let q = AggregateQuery::parse(
        store,
        &json!({"group_by": [{"bucket": {"path": "result.score.raw", "width": 10}}],
            "source": "aggregate"}),
    )
    .unwrap();
    assert_eq!(plan(&q, NOW_US, false).unwrap_err().pointer, "/source");
    common::cleanup(&p).await;
}
