//! The hourly aggregates give the same answers as the raw table: every dimension pair, every
//! measure, several time zones, filters and ranges, on random statements, read both ways on a
//! real ClickHouse, with voided statements left out of both (voids in a later batch than their
//! target or before it, voids of unknown or foreign statements, double voids). And
//! `discard_after` keeps the aggregates exact, including after a crash between its steps.
mod common;
#[path = "aggregates/data.rs"]
mod data;
#[path = "aggregates/values.rs"]
mod values;
use cairn_clickhouse::ClickHouseProjection;
use cairn_clickhouse::aggregate::{aggregate, plan};
use cairn_core::StoreId;
use cairn_core::analytics::{AggregateQuery, AggregateResult};
use cairn_core::ports::Projection;
use data::{Stmt, T0, batch, insert, insert_rows, log, voided, voiding};
use rand::{Rng, SeedableRng, rngs::StdRng};
use serde_json::{Value, json};
use uuid::Uuid;

const NOW_US: i64 = 1_764_216_000_000_000; // 2025-11-27T04:00:00Z

async fn ask(p: &ClickHouseProjection, store: StoreId, req: Value) -> AggregateResult {
    let q = AggregateQuery::parse(store, &req).unwrap_or_else(|e| panic!("{req}: {e}"));
    aggregate(p, &q, NOW_US)
        .await
        .unwrap_or_else(|e| panic!("{req}: {e}"))
}

/// Asks raw and aggregate; asserts they agree and returns the answer.
async fn both(p: &ClickHouseProjection, store: StoreId, mut req: Value) -> AggregateResult {
    req["source"] = json!("raw");
    let raw = ask(p, store, req.clone()).await;
    req["source"] = json!("aggregate");
    let agg = ask(p, store, req.clone()).await;
    assert_eq!((raw.source, agg.source), ("raw", "aggregate"));
    assert_eq!(raw.rows, agg.rows, "{req}");
    raw
}

const DIMS: &[&str] = &[
    r#"{"time": "hour"}"#,
    r#"{"time": "day"}"#,
    r#"{"time": "week"}"#,
    r#"{"time": "month"}"#,
    r#"{"time": "weekday"}"#,
    r#"{"time": "hour_of_day"}"#,
    r#""verb""#,
    r#""activity""#,
    r#""activity_type""#,
    r#""actor""#,
];

fn all_measures() -> Value {
    let mut m = vec![
        json!("count"),
        json!("unique_actors"),
        json!("successes"),
        json!("completions"),
    ];
    for path in [
        "result.score.scaled",
        "result.score.raw",
        "result.duration_ms",
    ] {
        for agg in ["sum", "avg", "min", "max"] {
            m.push(json!({ agg: path }));
        }
    }
    Value::Array(m)
}

#[tokio::test(flavor = "multi_thread")]
async fn aggregates_and_raw_agree_on_every_dimension_and_measure() {
    let p = common::fresh_projection().await;
    p.migrate().await.unwrap();
    let (store, other) = (StoreId(Uuid::new_v4()), StoreId(Uuid::new_v4()));
    let mut rng = StdRng::seed_from_u64(5);
    let batches = log(store, other, &mut rng);
    let all: Vec<Stmt> = batches.concat();
    for b in &batches {
        insert(&p, b, &all).await;
    }
    let mine: Vec<Stmt> = all.iter().filter(|s| s.store == store).cloned().collect();
    let gone = voided(&mine);
    // Every 15th of the first 640, twice for the first, once for the late one, plus the one
    // the voiding statement that arrived later named; the unknown and foreign ids void nothing.
    assert_eq!(gone.len(), 26 + 13 + 1 + 1, "{gone:?}");
    assert!(voided(&all[400..451]).is_empty());
    let total = both(&p, store, json!({"measures": all_measures()})).await;
    assert_eq!(total.rows.len(), 1);
    assert_eq!(
        total.rows[0].values[0],
        Some((mine.len() - gone.len()) as f64)
    );
    assert_eq!(total.rows[0].values[1], Some(6.0));
    let voided_count = p
        .client()
        .query("SELECT count() FROM voided")
        .fetch_one::<u64>()
        .await
        .unwrap();
    assert_eq!(
        voided_count,
        gone.len() as u64,
        "one row per voided statement"
    );

    let dims: Vec<Value> = DIMS
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    let filters = [
        None,
        Some(json!({"field": "verb", "in": ["http://v/0", "http://v/2"]})),
        Some(
            json!({"not": {"and": [{"field": "actor", "prefix": "mbox:mailto:1"}, {"field": "activity.type", "eq": "http://t/1"}]}}),
        ),
        // More values than are bound on the calling task: written on the blocking pool.
        Some(
            json!({"field": "verb", "in": std::iter::once("http://v/1".to_string())
            .chain((0..500).map(|i| format!("http://absent/{i}")))
            .collect::<Vec<_>>()}),
        ),
    ];
    let mut checked = 0;
    for (i, a) in dims.iter().enumerate() {
        for b in std::iter::once(None).chain(dims[i + 1..].iter().map(Some)) {
            let group_by: Vec<&Value> = std::iter::once(a).chain(b).collect();
            for (j, tz) in ["UTC", "Europe/Paris", "Asia/Tokyo", "America/New_York"]
                .iter()
                .enumerate()
            {
                let mut req = json!({"group_by": group_by, "measures": all_measures(), "tz": tz});
                if let Some(f) = &filters[(i + j) % filters.len()] {
                    req["filter"] = f.clone();
                }
                if j % 2 == 1 {
                    req["from"] = json!("2025-11-24T05:00:00Z");
                    req["to"] = json!("2025-11-26T17:00:00Z");
                }
                let r = both(&p, store, req).await;
                assert!(!r.rows.is_empty());
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 55 * 4);

    // Auto picks the aggregates when the request fits and the raw table otherwise.
    let auto = |req: Value| {
        let p = p.clone();
        async move { ask(&p, store, req).await.source }
    };
    assert_eq!(auto(json!({"group_by": ["verb"]})).await, "aggregate");
    assert_eq!(auto(json!({"group_by": ["registration"]})).await, "raw");
    assert_eq!(
        auto(json!({"group_by": [{"time": "day"}], "tz": "Asia/Kolkata"})).await,
        "raw"
    );
    assert_eq!(auto(json!({"from": "2025-11-24T05:30:00Z"})).await, "raw");
    assert_eq!(
        auto(json!({"filter": {"field": "context.platform", "eq": "web"}})).await,
        "raw"
    );
    assert_eq!(
        auto(json!({"measures": [{"max": "result.score.min"}]})).await,
        "raw"
    );
    // Forcing the aggregates for a request they cannot answer is an error naming the reason.
    let q = AggregateQuery::parse(
        store,
        &json!({"group_by": ["registration"], "source": "aggregate"}),
    )
    .unwrap();
    assert_eq!(plan(&q, NOW_US, false).unwrap_err().pointer, "/source");
    // The correction for voided statements is planned only where there are some.
    let q = AggregateQuery::parse(store, &json!({})).unwrap();
    assert!(cairn_clickhouse::voided::in_range(&p, &q).await.unwrap());
    let q = AggregateQuery::parse(other, &json!({})).unwrap();
    assert!(!cairn_clickhouse::voided::in_range(&p, &q).await.unwrap());
    let q = AggregateQuery::parse(store, &json!({"to": "2025-11-24T00:00:00Z"})).unwrap();
    assert!(!cairn_clickhouse::voided::in_range(&p, &q).await.unwrap());

    // Autocomplete: most frequent first, by prefix, per store.
    values_match_raw(&p, store).await;
    let verbs = p.values(store, "verb", "http://v/1", 10).await.unwrap();
    assert_eq!(verbs.len(), 1);
    assert_eq!(verbs[0].value, "http://v/1");
    let all: u64 = p
        .values(other, "verb", "", 10)
        .await
        .unwrap()
        .iter()
        .map(|v| v.count)
        .sum();
    assert_eq!(all, 51);
    assert!(p.values(store, "verb", "zzz", 10).await.unwrap().is_empty());
    assert_eq!(p.values(store, "actor", "", 2).await.unwrap().len(), 2);

    // Raw-only dimensions: any path, list paths count a statement under each value.
    let r = ask(
        &p,
        store,
        json!({"group_by": [{"path": "context.parent"}, {"path": "context.platform"}]}),
    )
    .await;
    let parents: f64 = r.rows.iter().map(|r| r.values[0].unwrap()).sum();
    let with_parent = ask(
        &p,
        store,
        json!({"filter": {"field": "context.parent", "exists": true}}),
    )
    .await;
    assert_eq!(parents, 2.0 * with_parent.rows[0].values[0].unwrap());
    common::cleanup(&p).await;
}

/// `query_values` answers, for the string paths, what `statements` holds.
async fn values_match_raw(p: &ClickHouseProjection, store: StoreId) {
    let paths = [
        ("verb", "[verb]"),
        ("actor", "[actor_ifi]"),
        ("context.parent", "context_parent"),
    ];
    values::values_match_raw(p, store, &paths).await;
}

async fn hourly_matches_raw(p: &ClickHouseProjection, store: StoreId) {
    values_match_raw(p, store).await;
    for g in [r#"[{"time": "hour"}, "actor"]"#, r#"["verb", "activity"]"#] {
        let req = json!({"group_by": serde_json::from_str::<Value>(g).unwrap(), "measures": all_measures()});
        both(p, store, req).await;
    }
}

/// The aggregate count equals the statements of `log` up to `upto`, minus the voided ones.
async fn count_is(p: &ClickHouseProjection, store: StoreId, log: &[Stmt], upto: u64) {
    let prefix: Vec<Stmt> = log.iter().filter(|s| s.seq <= upto).cloned().collect();
    let want = (prefix.len() - voided(&prefix).len()) as f64;
    let count = ask(p, store, json!({"source": "aggregate"})).await;
    assert_eq!(count.rows[0].values[0], Some(want), "up to {upto}");
}

#[tokio::test(flavor = "multi_thread")]
async fn discard_after_keeps_the_aggregates_exact() {
    let p = common::fresh_projection().await;
    p.migrate().await.unwrap();
    let store = StoreId(Uuid::new_v4());
    let mut rng = StdRng::seed_from_u64(7);
    // 1..440 random; 441..469 void every 15th of them; 470 voids 481, which comes later.
    let mut log = batch(store, 1, 440, &mut rng);
    let late = Uuid::from_u128(rng.random());
    let targets: Vec<Uuid> = log
        .iter()
        .filter(|s| s.seq % 15 == 0)
        .map(|s| s.id)
        .collect();
    for (i, t) in targets.iter().chain([&late]).enumerate() {
        log.push(voiding(store, 441 + i as u64, *t, &mut rng));
    }
    log.extend(batch(store, 471, 130, &mut rng));
    log[480].id = late;
    log[480].row["statement_id"] = json!(late.to_string());
    for part in log.chunks(150) {
        insert(&p, part, &log).await;
    }
    count_is(&p, store, &log, 600).await;
    // A crash left seqs 451.. in ClickHouse above the checkpoint: they go, aggregates follow,
    // and the statements voided by discarded voiding statements count again.
    p.discard_after(450).await.unwrap();
    count_is(&p, store, &log, 450).await;
    hourly_matches_raw(&p, store).await;
    // The projector writes them again: still exact, nothing counted or left out twice (481 is
    // voided on arrival by 470, projected again too).
    insert(&p, &log[450..], &log).await;
    count_is(&p, store, &log, 600).await;
    hourly_matches_raw(&p, store).await;
    assert_eq!(p.reconcile_hourly().await.unwrap(), None);
    // A crash between a batch's rows and its retractions: discarded, then written whole.
    let mut more = Vec::new();
    for (i, s) in log
        .iter()
        .filter(|s| s.seq > 470 && s.seq % 15 == 0)
        .enumerate()
    {
        more.push(voiding(store, 601 + i as u64, s.id, &mut rng));
    }
    log.extend(more);
    insert_rows(&p, &log[600..]).await;
    p.discard_after(600).await.unwrap();
    count_is(&p, store, &log, 600).await;
    insert(&p, &log[600..], &log).await;
    let last = log.last().unwrap().seq;
    count_is(&p, store, &log, last).await;
    hourly_matches_raw(&p, store).await;

    // A crash after deleting aggregate hours but before rebuilding them: the next start repairs.
    p.client()
        .query(&p.mutation_sql(
            "ALTER TABLE statements_hourly DELETE WHERE stored_hour >= toDateTime(?)",
        ))
        .bind((T0 + 3 * 3_600_000_000) / 1_000_000)
        .execute()
        .await
        .unwrap();
    p.discard_after(last).await.unwrap();
    hourly_matches_raw(&p, store).await;
    // The same for query values.
    p.client()
        .query(&p.mutation_sql("ALTER TABLE query_values DELETE WHERE path = 'verb'"))
        .execute()
        .await
        .unwrap();
    p.discard_after(last).await.unwrap();
    assert!(
        p.values(store, "verb", "", 10).await.unwrap().is_empty(),
        "counts still agree"
    );
    p.client()
        .query(&p.mutation_sql("ALTER TABLE query_values DELETE WHERE 1"))
        .execute()
        .await
        .unwrap();
    p.discard_after(last).await.unwrap();
    hourly_matches_raw(&p, store).await;
    // A crash after trimming `statements` but before touching the aggregates: repaired too.
    p.client()
        .query(&p.mutation_sql("ALTER TABLE statements DELETE WHERE seq > 500"))
        .execute()
        .await
        .unwrap();
    p.discard_after(500).await.unwrap();
    count_is(&p, store, &log, 500).await;
    hourly_matches_raw(&p, store).await;
    // reproject: everything goes, then comes back exactly.
    p.discard_after(0).await.unwrap();
    let count = ask(&p, store, json!({"source": "aggregate"})).await;
    assert_eq!(count.rows[0].values[0], Some(0.0));
    for part in log.chunks(100) {
        insert(&p, part, &log).await;
    }
    count_is(&p, store, &log, last).await;
    hourly_matches_raw(&p, store).await;
    common::cleanup(&p).await;
}
