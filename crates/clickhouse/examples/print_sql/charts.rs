//! The SQL of what the dashboards' charts ask, for chDB: top N by a measure and the previous
//! period's plan (both ways, as `agg` lines), numeric buckets and funnels (raw only, as
//! `expect` lines: `{"kind":"expect","name","sql","expect"}`, the rows the sample data must give,
//! computed here over the same rows with the filter predicate; run after the retractions).
use cairn_clickhouse::aggregate::{plan, plan_previous};
use cairn_clickhouse::{StatementRow, samples, voided};
use cairn_core::StoreId;
use cairn_core::analytics::{AggregateQuery, AnalyticsLimits, FunnelQuery, Source};
use serde_json::{Value, json};

const HOUR_US: i64 = 3_600_000_000;
const POINTS: &str = "result.extensions.http://example.com/ext/points";

/// The default store's rows that are not voided, as the predicate sees them.
fn kept() -> Vec<(u64, cairn_filter::Row)> {
    let records = samples::records();
    let gone: Vec<u64> = samples::retractions(&records)
        .iter()
        .map(|r| r.seq)
        .collect();
    records
        .iter()
        .filter(|(seq, r)| r.store == StoreId::DEFAULT && !gone.contains(seq))
        .map(|(seq, r)| (*seq, StatementRow::new(*seq, r, &r.facts()).filter_row()))
        .collect()
}

fn agg_line(
    name: String,
    q: &mut AggregateQuery,
    planner: &dyn Fn(&AggregateQuery, bool) -> Option<String>,
    voided: bool,
) {
    q.source = Source::Raw;
    let raw = planner(q, false).expect("raw always plans");
    q.source = Source::Aggregate;
    let agg = planner(q, voided);
    let (sql, params) = voided::in_range_sql(q);
    let in_range = cairn_filter::Sql {
        clause: sql,
        params,
    }
    .to_literal_sql();
    println!(
        "{}",
        json!({"kind": "agg", "name": name, "raw": raw, "agg": agg, "in_range": in_range,
            "voided": voided})
    );
}

pub fn print(now_us: i64) {
    let ordered = [
        json!({"group_by": ["actor"], "measures": ["count", {"avg": "result.score.scaled"}],
            "order_by": {"measure": 1, "dir": "desc"}, "limit": 2}),
        json!({"group_by": ["verb", "activity"], "measures": ["count", {"min": "result.duration_ms"}],
            "order_by": {"measure": 1, "dir": "asc"}, "limit": 3}),
        json!({"group_by": [{"time": "day"}], "measures": ["unique_actors"],
            "order_by": {"measure": 0}, "limit": 1}),
    ];
    for (i, req) in ordered.iter().enumerate() {
        for (store, voided) in [(StoreId::DEFAULT, true), (samples::OTHER_STORE, false)] {
            let mut q = AggregateQuery::parse(store, req).expect("sample requests are valid");
            let planner =
                |q: &AggregateQuery, v: bool| plan(q, now_us, v).ok().map(|p| p.to_literal_sql());
            agg_line(format!("top {i} voided={voided}"), &mut q, &planner, voided);
        }
    }
    // The previous period of [from, to) holds the sample (its hour and the next are the range).
    let hour = samples::BASE_US - samples::BASE_US.rem_euclid(HOUR_US);
    let (from, to) = (hour + HOUR_US, hour + 2 * HOUR_US);
    let at = |us: i64| {
        jiff::Timestamp::from_microsecond(us)
            .expect("valid")
            .to_string()
    };
    let key_hour = jiff::Timestamp::from_microsecond(from)
        .expect("valid")
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string();
    let compared = [
        (
            json!({"group_by": [{"time": "hour"}, "verb"], "measures": ["count", {"max": "result.score.scaled"}]}),
            vec![
                (key_hour.clone(), samples::verb(0)),
                (key_hour, samples::verb(1)),
            ],
        ),
        (
            json!({"measures": ["count", "unique_actors"]}),
            vec![(String::new(), String::new())],
        ),
    ];
    for (i, (req, keys)) in compared.into_iter().enumerate() {
        let mut req = req;
        req["from"] = json!(at(from));
        req["to"] = json!(at(to));
        req["compare"] = json!("previous_period");
        for (store, voided) in [(StoreId::DEFAULT, true), (samples::OTHER_STORE, false)] {
            let q = AggregateQuery::parse(store, &req).expect("sample requests are valid");
            let mut prev = q.previous_period().expect("compare");
            let planner = |q: &AggregateQuery, v: bool| {
                plan_previous(q, now_us, v, &keys)
                    .ok()
                    .map(|p| p.to_literal_sql())
            };
            agg_line(
                format!("previous {i} voided={voided}"),
                &mut prev,
                &planner,
                voided,
            );
        }
    }
    buckets(now_us);
    funnels(now_us);
}

fn expect(name: &str, sql: String, rows: Value) {
    println!(
        "{}",
        json!({"kind": "expect", "name": name, "sql": sql, "expect": rows})
    );
}

/// Buckets of three numeric paths: (index, count) per bucket, computed here.
fn buckets(now_us: i64) {
    let rows = kept();
    let number = |r: &cairn_filter::Row, path: &str| -> Option<f64> {
        match path {
            "result.score.scaled" => r.score_scaled,
            "result.duration_ms" => r.duration_ms,
            _ => r
                .extensions
                .iter()
                .find(|(k, _)| k == path)
                .and_then(|(_, v)| v.parse().ok()),
        }
    };
    for (path, width, origin) in [
        ("result.score.scaled", 0.1, 0.0),
        ("result.duration_ms", 7000.0, 500.0),
        (POINTS, 2.0, -1.0),
    ] {
        let req =
            json!({"group_by": [{"bucket": {"path": path, "width": width, "origin": origin}}]});
        let q = AggregateQuery::parse(StoreId::DEFAULT, &req).expect("valid");
        let sql = plan(&q, now_us, false).expect("raw").to_literal_sql();
        let sql = format!(
            "SELECT k0, toUInt64(vals[1]) FROM ({sql}) ORDER BY toInt64OrNull(k0) NULLS LAST"
        );
        let mut counts: Vec<(Option<i64>, u64)> = Vec::new();
        for (_, r) in &rows {
            let k = number(r, path).map(|x| ((x - origin) / width).floor() as i64);
            match counts.iter_mut().find(|(c, _)| *c == k) {
                Some((_, n)) => *n += 1,
                None => counts.push((k, 1)),
            }
        }
        counts.sort_by_key(|(k, _)| (k.is_none(), *k));
        let want: Vec<Value> = counts
            .into_iter()
            .map(|(k, n)| json!([k.map_or(String::new(), |k| k.to_string()), n]))
            .collect();
        expect(&format!("bucket {path}"), sql, want.into());
    }
}

/// Funnels by actor and by persona, computed here (greedy over (timestamp, seq) order).
fn funnels(now_us: i64) {
    let rows = kept();
    let verb = |i| json!({"field": "verb", "eq": samples::verb(i)});
    let requests = [
        json!({"steps": [verb(0), verb(1)]}),
        json!({"steps": [verb(1), verb(0), verb(1)], "by": "persona"}),
        json!({"steps": [{"field": "result.score.scaled", "range": {"gte": 0.7}}, verb(0), verb(1)]}),
        json!({"steps": [{"field": "result.success", "eq": true}, verb(1)],
            "filter": {"field": "context.extensions.http://example.com/ext/level", "in": ["L0", "L1"]}}),
    ];
    for (i, req) in requests.iter().enumerate() {
        let q =
            FunnelQuery::parse(StoreId::DEFAULT, req, &AnalyticsLimits::default()).expect("valid");
        let (sql, params) = cairn_clickhouse::funnel::funnel_sql(&q, now_us);
        let sql = cairn_filter::Sql {
            clause: sql,
            params,
        }
        .to_literal_sql();
        let sql = format!(
            "SELECT arrayStringConcat(arrayMap(x -> toString(x), steps), ',') FROM ({sql})"
        );
        let mut by: std::collections::BTreeMap<&str, Vec<(i64, u64, &cairn_filter::Row)>> =
            Default::default();
        for (seq, r) in &rows {
            if q.filter.as_ref().is_none_or(|f| f.matches(r, now_us)) {
                by.entry(&r.actor_ifi)
                    .or_default()
                    .push((r.timestamp_us, *seq, r));
            }
        }
        let mut counts = vec![0u64; q.steps.len()];
        for events in by.values_mut() {
            events.sort_by_key(|(t, s, _)| (*t, *s));
            let mut from = 0;
            for (k, step) in q.steps.iter().enumerate() {
                match events[from..]
                    .iter()
                    .position(|(_, _, r)| step.matches(r, now_us))
                {
                    Some(p) => {
                        counts[k] += 1;
                        from += p + 1;
                    }
                    None => break,
                }
            }
        }
        let text: Vec<String> = counts.iter().map(u64::to_string).collect();
        expect(&format!("funnel {i}"), sql, json!([[text.join(",")]]));
    }
}
