//! Prints, as JSON lines, everything `scripts/chdb_check.py` needs to run this crate's SQL on
//! current ClickHouse (chDB), with values substituted exactly as the client substitutes them:
//!
//! - `{"kind":"row","row":{...}}`: the sample data set as `statements` rows (JSONEachRow);
//! - `{"kind":"query","name","sql","expect"}`: the `query_seqs` SQL of each sample query and the
//!   sequence numbers the core predicate answers;
//! - `{"kind":"step","phase","name","sql","expect"?,"poll"?}`: the other statements the adapter
//!   sends (migration bookkeeping, max seq, discard, truncate, drop), with expected rows where
//!   they are deterministic; `poll` steps are repeated until they give `expect`.
//!
//! - `{"kind":"agg","name","raw","agg"?,"in_range","voided"}`: an aggregate request planned on
//!   the raw table and, when it fits, on the hourly aggregates (the two must give the same rows;
//!   `voided`: with the correction for voided statements, which `in_range` must then find);
//!   `{"kind":"retract","sql","seqs"}`: recording the data set's voided statements (run after
//!   the rows); `{"kind":"hash",…}`: a cityHash64 whose value must not depend on the version;
//!   `{"kind":"hourly",…}`: `discard_after`'s reconcile statements, run on a database of their
//!   own.
//! - `{"kind":"feed","sql"}`: feeding the fan-out views from the rows just inserted into
//!   `statements` (what the projector does in Rust with each batch; run once per data set).
//!
//! - `{"kind":"expect","name","sql","expect"}`: a statement whose rows on the sample data set
//!   are known (numeric buckets, funnels: see `print_sql/charts.rs`), run after the retractions.
//!
//!     cargo run -p cairn-clickhouse --example print_sql [-- DATABASE] > var/sql.jsonl
#[path = "print_sql/charts.rs"]
mod charts;
use cairn_clickhouse::{
    MIGRATIONS, SEQ_TABLES, SeqQuery, SeqRange, StatementRow, migrations, samples, sql,
};
use cairn_core::{Page, StatementQuery, StoreId};
use clickhouse::{Client, query::Query, sql::Identifier};
use serde_json::{Value, json};

const ALL: cairn_clickhouse::partition::Partition = cairn_clickhouse::partition::Partition::ALL;

fn literal(q: Query) -> String {
    q.sql_display().to_string()
}

fn step(phase: &str, name: &str, q: Query, expect: Option<Value>, poll: bool) {
    let mut line = json!({"kind": "step", "phase": phase, "name": name, "sql": literal(q)});
    if let Some(e) = expect {
        line["expect"] = e;
    }
    if poll {
        line["poll"] = true.into();
    }
    println!("{line}");
}

/// `cityHash64('mbox:mailto:a@example.com')` as ClickHouse 18.16 computes it.
const CITY_HASH_OF_SAMPLE: u64 = 16_379_804_982_814_460_205;

/// Sample filters covering every operator on every kind of field.
const FILTERS: &[(&str, &str)] = &[
    (
        "str eq",
        r#"{"field": "verb", "eq": "http://adlnet.gov/expapi/verbs/completed"}"#,
    ),
    (
        "str in",
        r#"{"field": "verb", "in": ["http://adlnet.gov/expapi/verbs/completed", "http://adlnet.gov/expapi/verbs/passed"]}"#,
    ),
    (
        "str prefix",
        r#"{"field": "object.id", "prefix": "http://example.com/"}"#,
    ),
    ("str exists", r#"{"field": "registration", "exists": true}"#),
    (
        "array eq",
        r#"{"field": "agents", "eq": "mbox:mailto:a1@example.com"}"#,
    ),
    (
        "array in",
        r#"{"field": "context.parent", "in": ["http://example.com/course/1", "http://example.com/course/2"]}"#,
    ),
    (
        "array prefix",
        r#"{"field": "context.parent", "prefix": "http://example.com/"}"#,
    ),
    (
        "array exists",
        r#"{"field": "context.grouping", "exists": false}"#,
    ),
    (
        "num range",
        r#"{"field": "result.score.scaled", "range": {"gte": 0.5, "lt": 1}}"#,
    ),
    ("num eq", r#"{"field": "result.score.raw", "eq": 3}"#),
    (
        "num exists",
        r#"{"field": "result.duration_ms", "exists": true}"#,
    ),
    ("bool eq", r#"{"field": "result.success", "eq": true}"#),
    (
        "time absolute",
        r#"{"field": "stored", "range": {"gte": "2020-01-01T00:00:00Z"}}"#,
    ),
    (
        "time relative",
        r#"{"field": "timestamp", "range": {"gte": {"ago": "P30D", "tz": "Europe/Paris", "align": "week"}}}"#,
    ),
    (
        "persona",
        r#"{"field": "persona", "in": ["mbox:mailto:a1@example.com", "10000000-0000-0000-0000-000000000001"]}"#,
    ),
    (
        "ext eq",
        r#"{"field": "context.extensions.http://example.com/ext/level", "eq": "L1"}"#,
    ),
    (
        "ext in",
        r#"{"field": "result.extensions.http://example.com/ext/points", "in": [1.0, 2, "0.5"]}"#,
    ),
    (
        "ext prefix",
        r#"{"field": "object.definition.extensions.http://example.com/ext/points", "prefix": "{\"max\":1"}"#,
    ),
    (
        "ext exists",
        r#"{"not": {"field": "object.definition.extensions.http://example.com/ext/points", "exists": true}}"#,
    ),
    (
        "ext range",
        r#"{"field": "result.extensions.http://example.com/ext/points", "range": {"gt": 1, "lte": 5.5}}"#,
    ),
    (
        "and or not",
        r#"{"and": [{"or": [{"field": "result.success", "eq": false}, {"not": {"field": "result.completion", "eq": true}}]}, {"field": "verb", "exists": true}]}"#,
    ),
];

fn main() {
    let database = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "cairn_check".into());
    let c = Client::default();
    let records = samples::records();
    for (seq, record) in &records {
        println!(
            "{}",
            json!({"kind": "row", "row": StatementRow::new(*seq, record, &record.facts())})
        );
    }
    for (name, query, page) in samples::queries() {
        let sql = SeqQuery::build(&query, &page).to_literal_sql();
        let expect = samples::expected(&records, &query, &page);
        println!(
            "{}",
            json!({"kind": "query", "name": name, "sql": sql, "expect": expect})
        );
        // The two-step read of a rare key: its candidates, then the page among all of them
        // (the same answer as the one-step read).
        let range = SeqRange::of(&query, &page);
        if let (Some(q), Some((kind, key, _))) = (
            SeqQuery::candidates(&query, range, 1000),
            SeqQuery::driver(&query),
        ) {
            let key_of = |k: &cairn_core::FilterKeys| -> Vec<String> {
                match kind {
                    "registration" => k.registrations.clone(),
                    "activity" if query.related_activities => k.related_activities.clone(),
                    "activity" => k.activities.clone(),
                    "agent" if query.related_agents => k.related_agents.clone(),
                    "agent" => k.agents.clone(),
                    _ => k.verbs.clone(),
                }
            };
            // (chDB runs these before it records any voided statement.)
            let mut cands: Vec<u64> = records
                .iter()
                .filter(|(seq, r)| {
                    r.store == query.store
                        && *seq <= page.max_seq
                        && key_of(&r.keys).contains(key)
                        && page
                            .after
                            .is_none_or(|a| if query.ascending { *seq > a } else { *seq < a })
                })
                .map(|(seq, _)| *seq)
                .collect();
            if !query.ascending {
                cands.reverse();
            }
            println!(
                "{}",
                json!({"kind": "query", "name": format!("{name} (candidates)"), "sql": q.to_literal_sql(), "expect": cands})
            );
            let sql = SeqQuery::build_in(&query, &page, &cands).to_literal_sql();
            println!(
                "{}",
                json!({"kind": "query", "name": format!("{name} (two-step)"), "sql": sql, "expect": expect})
            );
        }
    }

    // The filter language: one query per operator and field kind, plus combinators and
    // relative times, with the predicate's answer over the same rows.
    let rows: Vec<_> = records
        .iter()
        .filter(|(_, r)| r.store == StoreId::DEFAULT)
        .map(|(seq, r)| (*seq, StatementRow::new(*seq, r, &r.facts()).filter_row()))
        .collect();
    let now_us = records.iter().map(|(_, r)| r.stored_us).max().unwrap_or(0);
    for (name, text) in FILTERS {
        let f = cairn_filter::Filter::parse_str(text).expect("sample filters are valid");
        let sql = cairn_clickhouse::filter::matching_seqs(&c, StoreId::DEFAULT, &f, now_us, 1000);
        let expect: Vec<u64> = rows
            .iter()
            .filter(|(_, r)| f.matches(r, now_us))
            .map(|(s, _)| *s)
            .collect();
        println!(
            "{}",
            json!({"kind": "query", "name": format!("filter {name}"), "sql": literal(sql), "expect": expect})
        );
    }

    aggregates(now_us);
    charts::print(now_us);
    exports(now_us);
    for template in cairn_clickhouse::feed::from_statements_sql() {
        let q = c.query(&template).bind(0u64).bind(u64::MAX);
        println!("{}", json!({"kind": "feed", "sql": literal(q)}));
    }

    for m in MIGRATIONS {
        let q = c.query(sql::RECORD_MIGRATION).bind(m.version).bind(m.name);
        step("setup", "record_migration", q, None, false);
    }
    // The migration runner's guard for ADD COLUMN (chdb_check.py's runner does the same).
    let q = c
        .query(sql::COLUMN_EXISTS)
        .bind(database.as_str())
        .bind("statements")
        .bind("ext_values");
    step("check", "column_exists", q, Some(json!([[1]])), false);
    let versions: Vec<Value> = MIGRATIONS.iter().map(|m| json!([m.version])).collect();
    step(
        "check",
        "applied_migrations",
        c.query(sql::APPLIED_MIGRATIONS),
        Some(versions.into()),
        false,
    );
    step(
        "check",
        "max_seq",
        c.query(sql::MAX_SEQ),
        Some(json!([[samples::N]])),
        false,
    );

    // discard_after(22): the count guard, the mutations, and the wait for them.
    let keep = 22u64;
    for (table, column) in SEQ_TABLES {
        let q = c
            .query(sql::COUNT_ABOVE)
            .bind(Identifier(table))
            .bind(Identifier(column))
            .bind(keep);
        step("check", "count_above", q, None, false);
        let q = c
            .query(sql::DELETE_ABOVE)
            .bind(Identifier(table))
            .bind(Identifier(column))
            .bind(keep);
        step("check", "delete_above", q, None, false);
    }
    let pending = c.query(sql::PENDING_MUTATIONS).bind(database.as_str());
    step(
        "check",
        "pending_mutations",
        pending,
        Some(json!([[0]])),
        true,
    );
    step(
        "check",
        "max_seq_after_discard",
        c.query(sql::MAX_SEQ),
        Some(json!([[keep]])),
        false,
    );
    let all = StatementQuery::new(StoreId::DEFAULT);
    let page = Page {
        max_seq: u64::MAX,
        after: None,
        limit: 1000,
    };
    let expect: Vec<Value> = samples::expected(&records[..keep as usize], &all, &page)
        .into_iter()
        .map(|s| json!([s]))
        .collect();
    let q = SeqQuery::build(&all, &page).bind(&c);
    step(
        "check",
        "query_after_discard",
        q,
        Some(expect.into()),
        false,
    );

    // discard_after(0), then reset's drops.
    for (table, _) in SEQ_TABLES {
        step(
            "check",
            "truncate",
            c.query(sql::TRUNCATE).bind(Identifier(table)),
            None,
            false,
        );
    }
    step(
        "check",
        "max_seq_after_truncate",
        c.query(sql::MAX_SEQ),
        Some(json!([[0]])),
        false,
    );
    for object in migrations::OBJECTS {
        step(
            "check",
            "drop",
            c.query(sql::DROP_TABLE).bind(Identifier(object)),
            None,
            false,
        );
    }
}

const LEVEL: &str = "context.extensions.http://example.com/ext/level";
const POINTS: &str = "result.extensions.http://example.com/ext/points";

/// Aggregate requests: every dimension, time bucket and measure, with and without filters and
/// ranges, planned both ways; then the hourly reconcile's statements.
fn aggregates(now_us: i64) {
    use cairn_clickhouse::aggregate::plan;
    use cairn_clickhouse::{hourly, voided};
    use cairn_core::analytics::{AggregateQuery, Source};
    let measures = json!(["count", "unique_actors", "successes", "completions",
        {"sum": "result.score.scaled"}, {"avg": "result.score.raw"}, {"min": "result.duration_ms"},
        {"max": "result.score.scaled"}, {"avg": "result.score.min"}]);
    let view_measures = json!(["count", "unique_actors", "successes", "completions",
        {"sum": "result.score.scaled"}, {"avg": "result.score.raw"}, {"min": "result.duration_ms"},
        {"max": "result.score.scaled"}]);
    let requests = [
        json!({"measures": view_measures}),
        json!({"group_by": [{"time": "hour"}, "verb"], "tz": "Europe/Paris", "measures": view_measures}),
        json!({"group_by": [{"time": "day"}, "actor"], "tz": "Asia/Tokyo", "measures": view_measures,
            "filter": {"field": "verb", "prefix": "http://adlnet.gov/"}}),
        json!({"group_by": [{"time": "week"}, "activity"], "measures": view_measures,
            "from": "2020-01-01T00:00:00Z", "to": "2030-01-01T00:00:00Z"}),
        json!({"group_by": [{"time": "month"}, "activity_type"], "tz": "America/New_York", "measures": view_measures}),
        json!({"group_by": [{"time": "weekday"}, {"time": "hour_of_day"}], "measures": view_measures,
            "filter": {"not": {"field": "actor", "eq": "mbox:mailto:a1@example.com"}}}),
        json!({"group_by": ["registration", {"path": "context.parent"}], "measures": measures}),
        json!({"group_by": [{"path": "result.success"}, {"path": "result.score.scaled"}], "measures": measures,
            "filter": {"field": "context.platform", "exists": true}}),
        json!({"group_by": [{"time": "day"}], "tz": "Asia/Kolkata", "measures": measures}),
        json!({"group_by": ["persona", {"time": "day"}], "tz": "Europe/Paris",
            "measures": ["count", "unique_personas", "unique_actors"]}),
        json!({"group_by": ["verb"], "measures": ["unique_personas", {"avg": "result.score.scaled"}],
            "filter": {"not": {"field": "persona", "eq": "mbox:mailto:a1@example.com"}}}),
        json!({"group_by": [{"path": LEVEL}, "verb"], "filter": {"field": POINTS, "range": {"gte": 1}},
            "measures": ["count", {"sum": POINTS}, {"avg": POINTS}, {"min": POINTS}, {"max": POINTS}]}),
    ];
    // The sample data set voids statements 4 and 9: the aggregate plan with the correction for
    // voided statements must agree with the raw plan; so must the plan without it, run on a
    // store without voided statements (the other store).
    for (i, req) in requests.iter().enumerate() {
        for (store, voided) in [(StoreId::DEFAULT, true), (samples::OTHER_STORE, false)] {
            let mut q = AggregateQuery::parse(store, req).expect("sample requests are valid");
            q.source = Source::Raw;
            let raw = plan(&q, now_us, false)
                .expect("raw always plans")
                .to_literal_sql();
            q.source = Source::Aggregate;
            let agg = plan(&q, now_us, voided).ok().map(|p| p.to_literal_sql());
            let (sql, params) = voided::in_range_sql(&q);
            let in_range = cairn_filter::Sql {
                clause: sql,
                params,
            }
            .to_literal_sql();
            println!(
                "{}",
                json!({"kind": "agg", "name": format!("aggregate {i} voided={voided}"),
                    "raw": raw, "agg": agg, "in_range": in_range, "voided": voided})
            );
        }
    }
    // The retractions of the data set (all in the default store), as the adapter records them
    // after inserting the rows.
    let retractions = samples::retractions(&samples::records());
    assert!(retractions.iter().all(|r| r.store == StoreId::DEFAULT));
    println!(
        "{}",
        json!({"kind": "retract", "sql": voided::retract_sql(StoreId::DEFAULT, &retractions),
            "seqs": retractions.iter().map(|r| r.seq).collect::<Vec<_>>()})
    );
    // actor_hours keys rows by cityHash64(actor_ifi); `voided` is compared with it through the
    // same function at query time, so its value must not change between ClickHouse versions.
    println!(
        "{}",
        json!({"kind": "hash", "sql": "SELECT cityHash64('mbox:mailto:a@example.com')",
            "expect": CITY_HASH_OF_SAMPLE.to_string()})
    );
    let hourly = |name: &str, sql: String| {
        println!("{}", json!({"kind": "hourly", "name": name, "sql": sql}))
    };
    hourly(
        "delete_from_hour",
        hourly::delete_from_hour(ALL).replace('?', "0"),
    );
    hourly("rebuild", hourly::rebuild_sql(ALL).replace('?', "0"));
    hourly("raw_hours", hourly::raw_hours(ALL));
    hourly("agg_hours", hourly::agg_hours(ALL));

    // Query values: the same reconcile, by month, and the autocomplete against `statements`.
    use cairn_clickhouse::values;
    let c = Client::default();
    let line = |name: &str, sql: String| {
        println!("{}", json!({"kind": "values", "name": name, "sql": sql}))
    };
    line(
        "delete_from_month",
        literal(c.query(&values::delete_from_month(ALL)).bind(0u32)),
    );
    line(
        "rebuild",
        literal(c.query(&values::rebuild_sql(ALL)).bind(0u32)),
    );
    line("raw_months", values::raw_months(ALL));
    line("value_months", values::value_months(ALL));
    let store = StoreId::DEFAULT.0.to_string();
    let q = c
        .query(values::AUTOCOMPLETE)
        .bind(&store)
        .bind("context.parent")
        .bind("http://")
        .bind(10u64);
    line("autocomplete", literal(q));
    let q = c
        .query(
            "SELECT v, count() AS n, min(stored_us), max(stored_us) FROM statements \
                ARRAY JOIN context_parent AS v WHERE store = toUUID(?) AND startsWith(v, ?) \
                GROUP BY v ORDER BY n DESC, v LIMIT ?",
        )
        .bind(&store)
        .bind("http://")
        .bind(10u64);
    line("autocomplete_raw", literal(q));
    // Extension keys under their container, values under their full path.
    for (name, path, raw) in [
        (
            "autocomplete_ext_keys",
            "context.extensions",
            "arrayMap(k -> substring(k, 20), arrayFilter(k -> startsWith(k, 'context.extensions.'), ext_keys))",
        ),
        (
            "autocomplete_ext_values",
            POINTS,
            "arrayFilter((v, k) -> k = 'result.extensions.http://example.com/ext/points', ext_values, ext_keys)",
        ),
    ] {
        let q = c
            .query(values::AUTOCOMPLETE)
            .bind(&store)
            .bind(path)
            .bind("")
            .bind(10u64);
        line(name, literal(q));
        let q = c
            .query(&format!(
                "SELECT v, count() AS n, min(stored_us), max(stored_us) FROM statements \
                 ARRAY JOIN {raw} AS v WHERE store = toUUID(?) AND v != '' \
                 GROUP BY v ORDER BY n DESC, v LIMIT ?"
            ))
            .bind(&store)
            .bind(10u64);
        line(&format!("{name}_raw"), literal(q));
    }
}

/// The export SQL of every sample filter, in each format, with a reference query giving the
/// sequence numbers it must return (matching, not voided, once each).
fn exports(now_us: i64) {
    use cairn_clickhouse::export::export_sql;
    use cairn_core::analytics::{ExportFormat, StatementsQuery};
    for (name, text) in FILTERS {
        let f = cairn_filter::Filter::parse_str(text).expect("sample filters are valid");
        let clause = f.to_sql(now_us).to_literal_sql();
        let store = StoreId::DEFAULT.0;
        let join = if cairn_clickhouse::persona::filter_uses(&f) {
            cairn_clickhouse::persona::JOIN.replace('?', &format!("'{store}'"))
        } else {
            String::new()
        };
        let reference = format!(
            "SELECT seq FROM statements{join} WHERE store = toUUID('{store}') AND ({clause}) AND statement_id \
             NOT IN (SELECT voided_id FROM voids WHERE store = toUUID('{store}')) GROUP BY seq ORDER BY seq"
        );
        for (format, fields) in [
            (ExportFormat::Ndjson, vec!["seq".to_string()]),
            (
                ExportFormat::Csv,
                vec!["id".into(), "agents".into(), "result.score.scaled".into()],
            ),
            (ExportFormat::Statements, vec![]),
        ] {
            let q = StatementsQuery {
                store: StoreId::DEFAULT,
                filter: Some(f.clone()),
                fields,
                after_seq: 0,
                limit: None,
                descending: false,
                tz: None,
            };
            let (sql, params, _) = export_sql(&q, format, now_us);
            let sql = cairn_filter::Sql {
                clause: sql,
                params,
            }
            .to_literal_sql();
            println!(
                "{}",
                json!({"kind": "export", "name": format!("export {name} {format:?}"), "sql": sql, "ref": reference, "seqs": format == ExportFormat::Ndjson})
            );
        }
    }
}
