//! Extension paths in the aggregates and the query values: grouping, filtering and measuring by
//! an extension path (served from the raw table, checked against values computed here), and
//! autocomplete of extension keys and values against what `statements` holds.
mod common;
#[path = "aggregates/values.rs"]
mod values;
use cairn_clickhouse::ClickHouseProjection;
use cairn_clickhouse::aggregate::{aggregate, plan, significant};
use cairn_core::StoreId;
use cairn_core::analytics::{AggregateQuery, AggregateResult};
use cairn_core::ports::Projection;
use rand::{Rng, SeedableRng, rngs::StdRng};
use serde_json::{Value, json};

const NOW_US: i64 = 1_764_216_000_000_000; // 2025-11-27T04:00:00Z
const T0: i64 = 1_763_942_400_000_000; // 2025-11-24T00:00:00Z, a Monday

fn datetime(us: i64) -> String {
    jiff::Timestamp::from_microsecond(us)
        .unwrap()
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string()
}

const LEVEL: &str = "result.extensions.http://e/level";
const POINTS: &str = "context.extensions.http://e/points";

/// The extensions of statement `seq`: a level `L0`..`L2` always; points (halves, as the
/// projection writes JSON numbers) except every fourth statement, whose points are text.
fn ext(seq: u64) -> (String, Option<f64>, String) {
    let level = format!("L{}", seq % 3);
    let points = (!seq.is_multiple_of(4)).then_some((seq % 5) as f64 * 0.5);
    let text = points.map_or("abc".to_string(), |x| json!(x).to_string());
    (level, points, text)
}

/// `n` random statements of `store` from seq `first`: timestamps over four days, `stored`
/// increasing over ten hours, few actors/verbs/activities, dyadic scores (exact sums), and the
/// extensions of [`ext`].
fn rows(store: StoreId, first: u64, n: u64, rng: &mut StdRng) -> String {
    let mut out = String::new();
    for seq in first..first + n {
        let ts =
            T0 + rng.random_range(0..4 * 24 * 3600) * 1_000_000 + rng.random_range(0..1_000_000);
        let stored = T0 + (seq as i64) * 36 * 1_000_000_000 / 1000;
        let keep: [bool; 5] = std::array::from_fn(|_| rng.random_bool(0.7));
        let opt = |i: usize, v: Value| if keep[i] { v } else { Value::Null };
        let row = json!({
            "store": store.0.to_string(), "seq": seq, "statement_id": uuid::Uuid::new_v4().to_string(),
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
            "ext_keys": [LEVEL, POINTS],
            "ext_values": [ext(seq).0, ext(seq).2],
        });
        out.push_str(&row.to_string());
        out.push('\n');
    }
    out
}

async fn insert(p: &ClickHouseProjection, body: &str) {
    p.client()
        .query_raw(&format!(
            "INSERT INTO statements FORMAT JSONEachRow\n{body}"
        ))
        .execute()
        .await
        .unwrap();
    // What the projector feeds the fan-out views with each batch (one insert per database).
    p.feed_from_statements(0, u64::MAX).await.unwrap();
}

async fn ask(p: &ClickHouseProjection, store: StoreId, req: Value) -> AggregateResult {
    let q = AggregateQuery::parse(store, &req).unwrap_or_else(|e| panic!("{req}: {e}"));
    aggregate(p, &q, NOW_US)
        .await
        .unwrap_or_else(|e| panic!("{req}: {e}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn extension_paths_group_filter_and_measure() {
    let p = common::fresh_projection().await;
    p.migrate().await.unwrap();
    let store = StoreId(uuid::Uuid::new_v4());
    let mut rng = StdRng::seed_from_u64(9);
    insert(&p, &rows(store, 1, 200, &mut rng)).await;
    let req = json!({
        "group_by": [{"path": LEVEL}],
        "filter": {"field": POINTS, "range": {"gte": 1}},
        "measures": ["count", {"sum": POINTS}, {"avg": POINTS}, {"min": POINTS}, {"max": POINTS}]
    });
    let got = ask(&p, store, req.clone()).await;
    assert_eq!(got.source, "raw");
    let mut want = Vec::new();
    for level in ["L0", "L1", "L2"] {
        let xs: Vec<f64> = (1..=200)
            .map(ext)
            .filter(|(l, x, _)| l == level && x.is_some_and(|x| x >= 1.0))
            .map(|(_, x, _)| x.unwrap())
            .collect();
        let sum: f64 = xs.iter().sum();
        let n = xs.len() as f64;
        let min = xs.iter().cloned().fold(f64::INFINITY, f64::min);
        let max = xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        want.push(cairn_core::analytics::AggregateRow {
            keys: vec![level.into()],
            // Averages and sums are rounded to 12 significant digits, as the planner answers.
            values: [n, sum, significant(sum / n), min, max].map(Some).to_vec(),
            previous: None,
        });
    }
    assert_eq!(got.rows, want);
    // Statements without the value group under '' and measure nothing; text values neither.
    let got = ask(
        &p,
        store,
        json!({"group_by": [{"path": POINTS}, {"path": "context.extensions.http://e/none"}],
               "measures": ["count", {"max": POINTS}, {"avg": "context.extensions.http://e/none"}]}),
    )
    .await;
    let abc = got.rows.iter().find(|r| r.keys[0] == "abc").unwrap();
    assert_eq!(abc.keys[1], "");
    assert_eq!(abc.values, [Some(50.0), None, None]);
    // The aggregates cannot serve extension paths: forcing them names the path.
    let mut forced = req;
    forced["source"] = json!("aggregate");
    let q = AggregateQuery::parse(store, &forced).unwrap();
    let e = plan(&q, NOW_US, false).unwrap_err();
    assert_eq!(e.pointer, "/source");
    assert!(e.message.contains(LEVEL), "{}", e.message);

    // Autocomplete: extension keys under their container, values under their full path.
    values_match_raw(&p, store).await;
    let keys = p
        .values(store, "result.extensions", "http://e/", 10)
        .await
        .unwrap();
    assert_eq!(
        keys.iter()
            .map(|v| (v.value.as_str(), v.count))
            .collect::<Vec<_>>(),
        [("http://e/level", 200)]
    );
    let values = p.values(store, POINTS, "", 10).await.unwrap();
    assert_eq!(values[0].value, "abc");
    assert_eq!(values[0].count, 50);
    assert_eq!(values.iter().map(|v| v.count).sum::<u64>(), 200);
    common::cleanup(&p).await;
}

/// `query_values` answers, for string and extension paths, what `statements` holds.
async fn values_match_raw(p: &ClickHouseProjection, store: StoreId) {
    let points = format!("arrayFilter((v, k) -> k = '{POINTS}', ext_values, ext_keys)");
    let paths = [
        ("verb", "[verb]"),
        ("actor", "[actor_ifi]"),
        ("context.parent", "context_parent"),
        (
            "result.extensions",
            "arrayMap(k -> substring(k, 19), arrayFilter(k -> startsWith(k, 'result.extensions.'), ext_keys))",
        ),
        (POINTS, points.as_str()),
    ];
    values::values_match_raw(p, store, &paths).await;
}
