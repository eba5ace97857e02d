//! The filter language's two back ends agree: for random rows and random filters, the SQL that
//! `cairn-filter` compiles, run on a real ClickHouse over the real `statements` table, selects
//! exactly the rows that the in-process predicate accepts. Rows carry random extensions (the same
//! IRI in several containers, numeric and non-numeric texts) and filters use extension paths. The
//! `persona` field is resolved through a persona mapping written the way the projector writes it
//! (including an identifier that was linked and then released), joined at read time.
mod common;
use cairn_clickhouse::filter::matching_seqs;
use cairn_core::StoreId;
use cairn_core::ports::Projection;
use cairn_filter::{FIELDS, FieldKind, Filter, Row};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

const NOW_US: i64 = 1_764_216_000_000_000; // 2025-11-27T04:00:00Z
/// Persona ids of the random mapping.
const P1: &str = "10000000-0000-0000-0000-000000000001";
const P2: &str = "10000000-0000-0000-0000-000000000002";
const TIMES: [i64; 4] = [0, 1_700_000_000_000_000, 1_764_000_000_000_000, NOW_US];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(""),
        Just("a"),
        Just("ab"),
        Just("b"),
        Just("http://x/1"),
        Just("http://x/10"),
        Just("é"),
        Just(P1),
        Just(P2)
    ]
    .prop_map(str::to_owned)
}

/// Extension paths: two IRIs in each of the three containers.
const EXT_PATHS: [&str; 6] = [
    "result.extensions.http://x/a",
    "result.extensions.http://x/b",
    "context.extensions.http://x/a",
    "context.extensions.http://x/b",
    "object.definition.extensions.http://x/a",
    "object.definition.extensions.http://x/é",
];

/// Extension value texts as the projection writes them (and some it never writes, such as
/// `00012` or `inf` for a string's content, which are still texts that are not JSON numbers).
fn ext_text() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "",
        "a",
        "ab",
        "1",
        "1.0",
        "-2.5",
        "0.5",
        "1e+23",
        "1e-7",
        "00012",
        "inf",
        ".5",
        "true",
        "null",
        r#"{"a":1}"#,
        "é",
        "10",
    ])
    .prop_map(str::to_owned)
}

/// Extension `eq` / `in` values: any JSON, compared through its text.
fn ext_value() -> impl Strategy<Value = Value> {
    prop::sample::select(vec![
        json!("a"),
        json!("1"),
        json!(1),
        json!(1.0),
        json!(-2.5),
        json!(0.5),
        json!(1e23),
        json!(true),
        json!({"a": 1}),
        json!(""),
        json!("é"),
    ])
}

fn extensions() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((prop::sample::select(EXT_PATHS.to_vec()), ext_text()), 0..5).prop_map(
        |pairs| {
            let mut out: Vec<(String, String)> = Vec::new();
            for (k, v) in pairs {
                if !out.iter().any(|(seen, _)| seen == k) {
                    out.push((k.to_owned(), v));
                }
            }
            out
        },
    )
}

fn num() -> impl Strategy<Value = f64> {
    prop_oneof![Just(-1.0), Just(0.0), Just(0.5), Just(1.0), Just(2.25)]
}

fn row() -> impl Strategy<Value = Row> {
    let strs = (
        text(),
        text(),
        text(),
        text(),
        text(),
        text(),
        text(),
        text(),
        text(),
    );
    let arrays = (
        prop::collection::vec(text(), 0..3),
        prop::collection::vec(text(), 0..3),
        prop::collection::vec(text(), 0..3),
        prop::collection::vec(text(), 0..3),
        prop::collection::vec(text(), 0..3),
    );
    let nums = (
        prop::option::of(num()),
        prop::option::of(num()),
        prop::option::of(num()),
        prop::option::of(num()),
        prop::option::of(num()),
        prop::option::of(any::<bool>()),
        prop::option::of(any::<bool>()),
    );
    let times = (
        prop::sample::select(TIMES.to_vec()),
        prop::sample::select(TIMES.to_vec()),
    );
    (strs, arrays, nums, times, extensions()).prop_map(|(s, a, n, t, e)| Row {
        persona: String::new(),
        actor_ifi: s.0,
        verb: s.1,
        object_type: s.2,
        object_id: s.3,
        activity_type: s.4,
        registration: s.5,
        platform: s.6,
        language: s.7,
        authority: s.8,
        version: String::new(),
        agents: a.0,
        context_parent: a.1,
        context_grouping: a.2,
        context_category: a.3,
        context_other: a.4,
        score_scaled: n.0,
        score_raw: n.1,
        score_min: n.2,
        score_max: n.3,
        duration_ms: n.4,
        success: n.5,
        completion: n.6,
        timestamp_us: t.0,
        stored_us: t.1,
        extensions: e,
    })
}

fn time_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(TIMES.to_vec())
            .prop_map(|us| { json!(jiff::Timestamp::from_microsecond(us).unwrap().to_string()) }),
        (
            prop::sample::select(vec!["PT1H", "P1D", "P30D", "P3000D"]),
            prop::sample::select(vec!["UTC", "Europe/Paris", "America/New_York"]),
            prop::option::of(prop::sample::select(vec!["hour", "day", "week", "month"]))
        )
            .prop_map(|(ago, tz, align)| {
                let mut v = json!({"ago": ago, "tz": tz});
                if let Some(a) = align {
                    v["align"] = json!(a);
                }
                v
            }),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    (prop::sample::select(FIELDS.to_vec()), 0..4usize).prop_flat_map(|(f, which)| {
        let path = f.path;
        let cond: BoxedStrategy<Value> = match (f.kind, which) {
            (_, 3) => any::<bool>()
                .prop_map(move |b| json!({"field": path, "exists": b}))
                .boxed(),
            (FieldKind::Str | FieldKind::StrArray, 0) => text()
                .prop_map(move |v| json!({"field": path, "eq": v}))
                .boxed(),
            (FieldKind::Str | FieldKind::StrArray, 1) => prop::collection::vec(text(), 1..3)
                .prop_map(move |v| json!({"field": path, "in": v}))
                .boxed(),
            (FieldKind::Str | FieldKind::StrArray, _) => text()
                .prop_map(move |v| json!({"field": path, "prefix": v}))
                .boxed(),
            (FieldKind::Num, 0) => num()
                .prop_map(move |v| json!({"field": path, "eq": v}))
                .boxed(),
            (FieldKind::Num, 1) => prop::collection::vec(num(), 1..3)
                .prop_map(move |v| json!({"field": path, "in": v}))
                .boxed(),
            (FieldKind::Num, _) => (prop::option::of(num()), prop::option::of(num()))
                .prop_map(move |(lo, hi)| match (lo, hi) {
                    (None, None) => json!({"field": path, "range": {"gt": -5}}),
                    (lo, hi) => {
                        let mut r = serde_json::Map::new();
                        if let Some(l) = lo {
                            r.insert("gte".into(), json!(l));
                        }
                        if let Some(h) = hi {
                            r.insert("lt".into(), json!(h));
                        }
                        json!({"field": path, "range": r})
                    }
                })
                .boxed(),
            (FieldKind::Bool, _) => any::<bool>()
                .prop_map(move |b| json!({"field": path, "eq": b}))
                .boxed(),
            (FieldKind::Time, 0) => time_value()
                .prop_map(move |v| json!({"field": path, "eq": v}))
                .boxed(),
            (FieldKind::Time, _) => (time_value(), time_value())
                .prop_map(move |(lo, hi)| json!({"field": path, "range": {"gte": lo, "lte": hi}}))
                .boxed(),
        };
        cond
    })
}

fn ext_leaf() -> impl Strategy<Value = Value> {
    let bound = || prop::sample::select(vec![-3.0, -2.5, 0.0, 0.5, 1.0, 10.0, 1e23, 1e24]);
    (prop::sample::select(EXT_PATHS.to_vec()), 0..5usize).prop_flat_map(move |(path, which)| {
        let cond: BoxedStrategy<Value> = match which {
            0 => ext_value()
                .prop_map(move |v| json!({"field": path, "eq": v}))
                .boxed(),
            1 => prop::collection::vec(ext_value(), 1..3)
                .prop_map(move |v| json!({"field": path, "in": v}))
                .boxed(),
            2 => prop::sample::select(vec!["", "a", "1", "{", "-"])
                .prop_map(move |p| json!({"field": path, "prefix": p}))
                .boxed(),
            3 => any::<bool>()
                .prop_map(move |b| json!({"field": path, "exists": b}))
                .boxed(),
            _ => (prop::option::of(bound()), prop::option::of(bound()))
                .prop_map(move |(lo, hi)| {
                    let mut r = serde_json::Map::new();
                    r.insert("gte".into(), json!(lo.unwrap_or(-1e300)));
                    if let Some(h) = hi {
                        r.insert("lt".into(), json!(h));
                    }
                    json!({"field": path, "range": r})
                })
                .boxed(),
        };
        cond
    })
}

fn filter() -> impl Strategy<Value = Value> {
    prop_oneof![2 => leaf(), 1 => ext_leaf()].prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(|v| json!({"and": v})),
            prop::collection::vec(inner.clone(), 0..3).prop_map(|v| json!({"or": v})),
            inner.prop_map(|v| json!({"not": v})),
        ]
    })
}

fn datetime(us: i64) -> String {
    jiff::Timestamp::from_microsecond(us)
        .unwrap()
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn json_row(store: StoreId, seq: u64, r: &Row) -> Value {
    json!({
        "store": store.0.to_string(), "seq": seq, "statement_id": uuid::Uuid::new_v4().to_string(),
        "stored": datetime(r.stored_us), "stored_us": r.stored_us,
        "timestamp": datetime(r.timestamp_us), "timestamp_us": r.timestamp_us,
        "actor_ifi": r.actor_ifi, "agents": r.agents, "verb": r.verb, "object_type": r.object_type,
        "object_id": r.object_id, "activity_type": r.activity_type, "registration": r.registration,
        "context_parent": r.context_parent, "context_grouping": r.context_grouping,
        "context_category": r.context_category, "context_other": r.context_other,
        "platform": r.platform, "language": r.language, "authority": r.authority, "version": r.version,
        "score_scaled": r.score_scaled, "score_raw": r.score_raw, "score_min": r.score_min,
        "score_max": r.score_max, "duration_ms": r.duration_ms.map(|d| d as i64),
        "success": r.success.map(u8::from), "completion": r.completion.map(u8::from),
        "ext_keys": r.extensions.iter().map(|(k, _)| k).collect::<Vec<_>>(),
        "ext_values": r.extensions.iter().map(|(_, v)| v).collect::<Vec<_>>(),
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn sql_and_predicate_agree_on_random_rows_and_filters() {
    let p = common::fresh_projection().await;
    p.migrate().await.unwrap();
    let store = StoreId(uuid::Uuid::new_v4());
    // A fixed seed: CI runs the same 200 cases every time (the floor on extension filters
    // below is then a fact about them, not a chance).
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 200,
            ..Config::default()
        },
        proptest::test_runner::TestRng::deterministic_rng(
            proptest::test_runner::RngAlgorithm::ChaCha,
        ),
    );
    let rows = prop::collection::vec(row(), 60)
        .new_tree(&mut runner)
        .unwrap()
        .current();
    // The persona mapping: "a" and "ab" are P1, "b" is P2; "http://x/1" was P2, then released.
    let (p1, p2) = (
        uuid::Uuid::parse_str(P1).unwrap(),
        uuid::Uuid::parse_str(P2).unwrap(),
    );
    let link = |seq: u64, ifi: &str, persona: Option<uuid::Uuid>| cairn_core::PersonaLink {
        seq,
        store,
        ifi: ifi.into(),
        persona,
    };
    p.link_personas(&[
        link(1, "a", Some(p1)),
        link(1, "ab", Some(p1)),
        link(2, "b", Some(p2)),
        link(2, "http://x/1", Some(p2)),
        link(3, "http://x/1", None),
    ])
    .await
    .unwrap();
    let persona_of = |ifi: &str| match ifi {
        "a" | "ab" => P1.to_string(),
        "b" => P2.to_string(),
        other => other.to_string(),
    };
    // duration_ms is an Int64 column: keep the in-process value integral, as the column is.
    let rows: Vec<Row> = rows
        .into_iter()
        .map(|mut r| {
            r.duration_ms = r.duration_ms.map(|d| (d as i64) as f64);
            r.persona = persona_of(&r.actor_ifi);
            r
        })
        .collect();
    let body: String = rows
        .iter()
        .enumerate()
        .map(|(i, r)| json_row(store, i as u64 + 1, r).to_string() + "\n")
        .collect();
    p.client()
        .query_raw(&format!(
            "INSERT INTO statements FORMAT JSONEachRow\n{body}"
        ))
        .execute()
        .await
        .unwrap();
    p.feed_from_statements(0, u64::MAX).await.unwrap();
    let client = p.client().clone();
    let handle = tokio::runtime::Handle::current();
    let checked = std::sync::atomic::AtomicUsize::new(0);
    let on_extensions = std::sync::atomic::AtomicUsize::new(0);
    let result = tokio::task::block_in_place(|| {
        runner.run(&filter(), |json| {
            let f =
                Filter::parse(&json).map_err(|e| TestCaseError::fail(format!("{json}: {e}")))?;
            let expected: Vec<u64> = rows
                .iter()
                .enumerate()
                .filter(|(_, r)| f.matches(r, NOW_US))
                .map(|(i, _)| i as u64 + 1)
                .collect();
            let got: Vec<u64> = handle
                .block_on(matching_seqs(&client, store, &f, NOW_US, 1000).fetch_all())
                .map_err(|e| TestCaseError::fail(format!("{json}: {e}")))?;
            checked.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if json.to_string().contains(".extensions.") {
                on_extensions.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            prop_assert_eq!(
                got,
                expected,
                "filter {} → {}",
                json,
                f.to_sql(NOW_US).to_literal_sql()
            );
            Ok(())
        })
    });
    common::cleanup(&p).await;
    result.unwrap();
    assert!(checked.into_inner() >= 200);
    assert!(on_extensions.into_inner() >= 50, "filters on extensions");
}
