//! The aggregate planner: one [`AggregateQuery`] becomes one parameterised SELECT, either over
//! the hourly aggregates (`statements_hourly`, finished with -Merge) when the request fits them,
//! or over the raw `statements` table. Both plans compute the same expressions (the -If
//! combinators of the view, applied directly on raw rows), so they give the same answer; the
//! integration test `aggregates.rs` checks it on random data.
//!
//! A request fits the aggregates when every dimension, measure and filter field is one the view
//! keeps (time, verb, activity, activity type, actor; scores scaled/raw and duration), its time
//! range is whole UTC hours, and its time zone's offset is a whole number of hours (at the
//! range's ends and now), so local buckets are unions of UTC hours. Extension paths (in a
//! dimension, a measure or the filter) never fit: the misfit names the path and the raw table
//! reads `ext_values[indexOf(ext_keys, path)]` (its number: see `cairn_filter::NUMBER_PATTERN`).
use crate::filter::bind_params;
use crate::{ClickHouseProjection, err};
use cairn_core::analytics::{
    AggregateQuery, AggregateResult, AggregateRow, Analytics, AnalyticsError, Dimension, Measure,
    RequestError, Source, TimeBucket,
};
use cairn_filter::{FieldKind, FieldRef, Filter, Param, Sql};

const HOUR_US: i64 = 3_600_000_000;
/// Filter columns the view keeps.
const VIEW_COLUMNS: &[&str] = &[
    "actor_ifi",
    cairn_filter::PERSONA_COLUMN,
    "verb",
    "object_id",
    "activity_type",
];
/// Numeric columns the view keeps measures of.
const VIEW_NUMBERS: &[&str] = &["score_scaled", "score_raw", "duration_ms"];

/// A SELECT with its parameters in placeholder order, and the table it reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub sql: String,
    pub params: Vec<Param>,
    pub source: &'static str,
}

impl Plan {
    /// The SQL with every parameter inlined (for chDB checks and logs).
    pub fn to_literal_sql(&self) -> String {
        cairn_filter::Sql {
            clause: self.sql.clone(),
            params: self.params.clone(),
        }
        .to_literal_sql()
    }
}

/// Why a request does not fit the aggregates, or `None` when it does.
pub fn misfit(q: &AggregateQuery, now_us: i64) -> Option<String> {
    for d in &q.group_by {
        match d {
            Dimension::Registration => {
                return Some("dimension registration is not kept by the aggregates".into());
            }
            Dimension::Path(f) => {
                return Some(format!(
                    "dimension {} is not kept by the aggregates",
                    f.path()
                ));
            }
            _ => {}
        }
    }
    for m in &q.measures {
        if let Measure::Sum(f) | Measure::Avg(f) | Measure::Min(f) | Measure::Max(f) = m
            && !matches!(f, FieldRef::Field(c) if VIEW_NUMBERS.contains(&c.column))
        {
            return Some(format!("{} is not kept by the aggregates", f.path()));
        }
    }
    if let Some(f) = &q.filter
        && let Some(col) = foreign_column(f)
    {
        return Some(format!(
            "the filter reads {col}, which the aggregates do not keep"
        ));
    }
    for t in [q.from_us, q.to_us].into_iter().flatten() {
        if t.rem_euclid(HOUR_US) != 0 {
            return Some("from/to are not whole hours".into());
        }
    }
    if q.group_by.iter().any(|d| matches!(d, Dimension::Time(_))) {
        let tz = jiff::tz::TimeZone::get(&q.tz).ok()?;
        for t in [q.from_us, q.to_us, Some(now_us)].into_iter().flatten() {
            let ts = jiff::Timestamp::from_microsecond(t).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
            if tz.to_offset(ts).seconds() % 3600 != 0 {
                return Some(format!("{} is not a whole number of hours from UTC", q.tz));
            }
        }
    }
    None
}

/// A column (or extension path) the filter reads that the aggregates do not keep.
fn foreign_column(f: &Filter) -> Option<&str> {
    match f {
        Filter::And(fs) | Filter::Or(fs) => fs.iter().find_map(foreign_column),
        Filter::Not(f) => foreign_column(f),
        Filter::Cond {
            field: FieldRef::Field(field),
            ..
        } => (!VIEW_COLUMNS.contains(&field.column)).then_some(field.column),
        Filter::Cond {
            field: FieldRef::Extension(e),
            ..
        } => Some(e.key()),
    }
}

/// Plans the request: the aggregates when it fits (or `source` asks for them), else raw.
pub fn plan(q: &AggregateQuery, now_us: i64) -> Result<Plan, RequestError> {
    let use_view = match (q.source, misfit(q, now_us)) {
        (Source::Raw, _) => false,
        (Source::Auto, m) => m.is_none(),
        (Source::Aggregate, None) => true,
        (Source::Aggregate, Some(why)) => {
            return Err(RequestError {
                pointer: "/source".into(),
                message: why,
            });
        }
    };
    let mut params = Vec::new();
    let mut select = Vec::new();
    for i in 0..2 {
        let expr = match q.group_by.get(i) {
            None => "''".to_string(),
            Some(d) => dimension(d, use_view, &q.tz, &mut params),
        };
        select.push(format!("{expr} AS k{i}"));
    }
    let (values, counts): (Vec<Sql>, Vec<Sql>) =
        q.measures.iter().map(|m| measure(m, use_view)).unzip();
    for (list, alias) in [(values, "vals"), (counts, "ns")] {
        let exprs: Vec<&str> = list.iter().map(|e| e.clause.as_str()).collect();
        select.push(format!("[{}] AS {alias}", exprs.join(", ")));
        params.extend(list.into_iter().flat_map(|e| e.params));
    }
    let join = if crate::persona::aggregate_uses(q) {
        params.push(Param::Str(q.store.0.to_string()));
        crate::persona::JOIN
    } else {
        ""
    };
    let mut conds = vec!["store = toUUID(?)".to_string()];
    params.push(Param::Str(q.store.0.to_string()));
    let (ge, lt) = if use_view {
        ("hour >= toDateTime(?)", "hour < toDateTime(?)")
    } else {
        ("timestamp_us >= ?", "timestamp_us < ?")
    };
    for (t, cond) in [(q.from_us, ge), (q.to_us, lt)] {
        if let Some(t) = t {
            conds.push(cond.into());
            params.push(Param::I64(if use_view {
                t.div_euclid(1_000_000)
            } else {
                t
            }));
        }
    }
    if let Some(f) = &q.filter {
        let sql = f.to_sql(now_us);
        conds.push(format!("({})", sql.clause));
        params.extend(sql.params);
    }
    params.push(Param::I64(q.limit as i64));
    let table = if use_view {
        "statements_hourly"
    } else {
        "statements"
    };
    Ok(Plan {
        sql: format!(
            "SELECT {} FROM {table}{join} WHERE {} GROUP BY k0, k1 ORDER BY k0, k1 LIMIT ?",
            select.join(", "),
            conds.join(" AND ")
        ),
        params,
        source: if use_view { "aggregate" } else { "raw" },
    })
}

fn dimension(d: &Dimension, view: bool, tz: &str, params: &mut Vec<Param>) -> String {
    let t = if view { "hour" } else { "timestamp" };
    let mut column = |f: &FieldRef| match f {
        FieldRef::Field(f) => match f.kind {
            FieldKind::Str => f.column.to_string(),
            FieldKind::StrArray => format!("arrayJoin({})", f.column),
            _ => format!("ifNull(toString({}), '')", f.column),
        },
        FieldRef::Extension(e) => {
            let text = e.text_sql();
            params.extend(text.params);
            text.clause
        }
    };
    let (expr, tz_binds) = match d {
        Dimension::Time(b) => match b {
            TimeBucket::Hour => (format!("toString(toStartOfHour({t}, ?), ?)"), 2),
            TimeBucket::Day => (format!("toString(toDate({t}, ?))"), 1),
            TimeBucket::Week => (format!("toString(toMonday({t}, ?))"), 1),
            TimeBucket::Month => (format!("toString(toStartOfMonth({t}, ?))"), 1),
            // Current ClickHouse reads toDayOfWeek's second argument as a mode, 18.16 as a zone:
            // go through the local date, which both take the same way.
            TimeBucket::Weekday => (format!("toString(toDayOfWeek(toDate({t}, ?)))"), 1),
            TimeBucket::HourOfDay => (format!("toString(toHour({t}, ?))"), 1),
        },
        Dimension::Verb => ("verb".into(), 0),
        Dimension::Activity => ("object_id".into(), 0),
        Dimension::ActivityType => ("activity_type".into(), 0),
        Dimension::Actor => ("actor_ifi".into(), 0),
        Dimension::Persona => (crate::persona::EXPR.into(), 0),
        Dimension::Registration => ("registration".into(), 0),
        Dimension::Path(f) => (column(f), 0),
    };
    for _ in 0..tz_binds {
        params.push(Param::Str(tz.to_string()));
    }
    expr
}

/// (value, count of values) of a measure, with their parameters; `avg` is sum / count,
/// finished in Rust.
fn measure(m: &Measure, view: bool) -> (Sql, Sql) {
    let text = |clause: String| Sql {
        clause,
        params: Vec::new(),
    };
    let num = |agg: &str, f: &FieldRef| match f {
        FieldRef::Field(c) if view => {
            let c = c.column;
            (
                text(format!("toFloat64({agg}IfMerge({c}_{agg}))")),
                text(format!("toUInt64(countIfMerge({c}_n))")),
            )
        }
        // A numeric column, or an extension's number (NULL when absent or not a number).
        _ => {
            let x = match f {
                FieldRef::Field(c) => text(c.column.to_string()),
                FieldRef::Extension(e) => e.number_sql(),
            };
            (
                repeat(
                    &format!("toFloat64({agg}If(ifNull($x, 0), isNotNull($x)))"),
                    &x,
                ),
                repeat("toUInt64(countIf(isNotNull($x)))", &x),
            )
        }
    };
    let plain = |raw: &str, merged: &str| {
        let v = if view { merged } else { raw };
        (text(format!("toFloat64({v})")), text("toUInt64(1)".into()))
    };
    match m {
        Measure::Count => plain("count()", "countMerge(statements)"),
        Measure::UniqueActors => plain("uniqExact(actor_ifi)", "uniqExactMerge(actors)"),
        // Each hourly row holds one actor, so distinct personas over rows are exact.
        Measure::UniquePersonas => {
            let e = format!("uniqExact({})", crate::persona::EXPR);
            plain(&e, &e)
        }
        Measure::Successes => plain("countIf(ifNull(success, 0) = 1)", "countIfMerge(successes)"),
        Measure::Completions => plain(
            "countIf(ifNull(completion, 0) = 1)",
            "countIfMerge(completions)",
        ),
        Measure::Sum(f) => {
            let (v, _) = num("sum", f);
            (v, text("toUInt64(1)".into()))
        }
        Measure::Avg(f) => num("sum", f),
        Measure::Min(f) => num("min", f),
        Measure::Max(f) => num("max", f),
    }
}

/// `template` with every `$x` replaced by `x`, whose parameters are repeated in order.
fn repeat(template: &str, x: &Sql) -> Sql {
    let mut out = Sql {
        clause: String::new(),
        params: Vec::new(),
    };
    for (i, part) in template.split("$x").enumerate() {
        if i > 0 {
            out.clause.push_str(&x.clause);
            out.params.extend(x.params.iter().cloned());
        }
        out.clause.push_str(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use cairn_core::StoreId;

    #[test]
    fn extension_paths_plan_on_the_raw_table_with_bound_paths() {
        let req = serde_json::json!({
            "group_by": [{"time": "day"}, {"path": "context.extensions.http://x/level"}],
            "measures": [{"avg": "result.extensions.http://x/p"}, "count"],
            "filter": {"field": "result.extensions.http://x/p", "exists": true},
            "tz": "Europe/Paris"
        });
        let q = AggregateQuery::parse(StoreId::DEFAULT, &req).unwrap();
        assert_eq!(
            misfit(&q, 0).as_deref(),
            Some("dimension context.extensions.http://x/level is not kept by the aggregates")
        );
        let p = plan(&q, 0).unwrap();
        assert_eq!(p.source, "raw");
        assert_eq!(p.sql.matches('?').count(), p.params.len());
        let sql = p.to_literal_sql();
        for part in [
            "toString(toDate(timestamp, 'Europe/Paris')) AS k0",
            "ext_values[indexOf(ext_keys, 'context.extensions.http://x/level')] AS k1",
            "[toFloat64(sumIf(ifNull(toFloat64OrNull(extract(ext_values[indexOf(ext_keys, \
             'result.extensions.http://x/p')], '^-?(?:0|",
            "has(ext_keys, 'result.extensions.http://x/p')",
        ] {
            assert!(sql.contains(part), "{part} not in {sql}");
        }
    }

    #[test]
    fn twelve_significant_digits_hide_summation_order() {
        assert_eq!(
            significant(5.7333333333333325),
            significant(5.733333333333333)
        );
        assert_eq!(
            significant(13.166666666666664),
            significant(13.166666666666668)
        );
        assert_eq!(significant(0.1 + 0.2), 0.3);
        assert_eq!(significant(-2.5e300), -2.5e300);
        assert_eq!(significant(0.0), 0.0);
    }
}

#[derive(clickhouse::Row, serde::Deserialize)]
struct Group {
    k0: String,
    k1: String,
    vals: Vec<f64>,
    ns: Vec<u64>,
}

/// Runs a plan.
pub async fn run(
    p: &ClickHouseProjection,
    q: &AggregateQuery,
    plan: &Plan,
) -> Result<AggregateResult, AnalyticsError> {
    let groups: Vec<Group> = bind_params(p.client().query(&plan.sql), &plan.params)
        .fetch_all()
        .await
        .map_err(err("aggregate"))?;
    let rows = groups
        .into_iter()
        .map(|g| AggregateRow {
            keys: [g.k0, g.k1].into_iter().take(q.group_by.len()).collect(),
            values: q
                .measures
                .iter()
                .zip(g.vals.iter().zip(&g.ns))
                .map(|(m, (&v, &n))| match m {
                    _ if n == 0 => None,
                    Measure::Avg(_) => Some(significant(v / n as f64)),
                    Measure::Sum(_) => Some(significant(v)),
                    _ => Some(v),
                })
                .collect(),
        })
        .collect();
    Ok(AggregateResult {
        source: plan.source,
        rows,
    })
}

/// `x` to 12 significant digits. A floating-point sum depends on the order of its terms, which
/// differs between the raw table and the merged aggregates (and between merges) in the last
/// bits; 12 digits are far more than any score or duration carries, and identical both ways.
pub fn significant(x: f64) -> f64 {
    format!("{x:.11e}").parse().unwrap_or(x)
}

#[async_trait::async_trait]
impl Analytics for ClickHouseProjection {
    async fn aggregate(&self, q: &AggregateQuery) -> Result<AggregateResult, AnalyticsError> {
        let now_us = jiff::Timestamp::now().as_microsecond();
        let plan = plan(q, now_us)?;
        run(self, q, &plan).await
    }

    async fn export(
        &self,
        q: &cairn_core::analytics::StatementsQuery,
        format: cairn_core::analytics::ExportFormat,
    ) -> Result<cairn_core::analytics::ByteStream, AnalyticsError> {
        Ok(ClickHouseProjection::export(self, q, format).await?)
    }

    async fn values(
        &self,
        store: cairn_core::StoreId,
        path: &str,
        prefix: &str,
        limit: u64,
    ) -> Result<Vec<cairn_core::analytics::ValueCount>, AnalyticsError> {
        if path == "persona" {
            return Err(RequestError {
                pointer: "/path".into(),
                message: "personas are found by name: GET /api/v1/stores/{id}/personas?name=…"
                    .into(),
            }
            .into());
        }
        if !crate::values::recorded(path) {
            return Err(RequestError {
                pointer: "/path".into(),
                message: format!(
                    "{path:?} is not a string field, an extension container or an extension path"
                ),
            }
            .into());
        }
        Ok(ClickHouseProjection::values(self, store, path, prefix, limit).await?)
    }
}
