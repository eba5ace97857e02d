//! The aggregate planner: one [`AggregateQuery`] becomes one parameterised SELECT, either over
//! the hourly aggregates (`statements_hourly`, finished with -Merge) when the request fits them,
//! or over the raw `statements` table. Both plans compute the same expressions (the -If
//! combinators of the view, applied directly on raw rows), so they give the same answer; the
//! integration test `aggregates.rs` checks it on random data. Both leave voided statements out:
//! the raw plan by their definition, the aggregate plan through `crate::voided` (rows of the
//! aggregates whose hour and actor hold a voided statement are recomputed from `actor_hours`).
//!
//! A request fits the aggregates when every dimension, measure and filter field is one the view
//! keeps (time, verb, activity, activity type, actor; scores scaled/raw and duration), its time
//! range is whole UTC hours, and its time zone's offset is a whole number of hours (at the
//! range's ends and now), so local buckets are unions of UTC hours. Extension paths (in a
//! dimension, a measure or the filter) never fit: the misfit names the path and the raw table
//! reads `ext_values[indexOf(ext_keys, path)]` (its number: see `cairn_filter::NUMBER_PATTERN`).
//! Personas (dimension, measure or filter) join the store's identifier → persona mapping on
//! `actor_ifi`, which both tables keep (`crate::persona`).
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

/// Whether the request is served from the aggregates (`Ok(true)`) or from the raw table.
pub fn uses_aggregates(q: &AggregateQuery, now_us: i64) -> Result<bool, RequestError> {
    match (q.source, misfit(q, now_us)) {
        (Source::Raw, _) => Ok(false),
        (Source::Auto, m) => Ok(m.is_none()),
        (Source::Aggregate, None) => Ok(true),
        (Source::Aggregate, Some(why)) => Err(RequestError {
            pointer: "/source".into(),
            message: why,
        }),
    }
}

/// Plans the request: the aggregates when it fits (or `source` asks for them), else raw. Both
/// leave voided statements out. `voided` says whether the store has voided statements in the
/// request's range (`voided::in_range`): only then does the aggregate plan need the correction
/// branch that recomputes their (hour, actor) blocks (see `crate::voided`).
pub fn plan(q: &AggregateQuery, now_us: i64, voided: bool) -> Result<Plan, RequestError> {
    let use_view = uses_aggregates(q, now_us)?;
    let persona = crate::persona::aggregate_uses(q);
    let mut params = Vec::new();
    let mut select = Vec::new();
    let mut columns = vec!["hour"];
    for i in 0..2 {
        let expr = match q.group_by.get(i) {
            None => "''".to_string(),
            Some(d) => dimension(d, use_view, &q.tz, &mut params, &mut columns),
        };
        select.push(format!("{expr} AS k{i}"));
    }
    let ms: Vec<MeasureSql> = q.measures.iter().map(|m| measure(m, use_view)).collect();
    for (alias, pick) in [
        (
            "vals",
            (|m: &MeasureSql| &m.value) as fn(&MeasureSql) -> &Sql,
        ),
        ("ns", |m: &MeasureSql| &m.count),
    ] {
        let exprs: Vec<&str> = ms.iter().map(|m| pick(m).clause.as_str()).collect();
        select.push(format!("[{}] AS {alias}", exprs.join(", ")));
        params.extend(ms.iter().flat_map(|m| pick(m).params.iter().cloned()));
    }
    // The persona mapping, joined where the persona is read (one `?`: the store).
    let join = |params: &mut Vec<Param>| {
        if persona {
            params.push(Param::Str(q.store.0.to_string()));
            crate::persona::JOIN
        } else {
            ""
        }
    };
    let from = if !use_view {
        let join = join(&mut params);
        let mut conds = conditions(q, now_us, false, &mut params);
        conds.push(crate::voided::NOT_VOIDED_RAW.into());
        params.push(Param::Str(q.store.0.to_string()));
        format!("statements{join} WHERE {}", conds.join(" AND "))
    } else if !voided {
        let join = join(&mut params);
        let conds = conditions(q, now_us, true, &mut params);
        format!("statements_hourly{join} WHERE {}", conds.join(" AND "))
    } else {
        for m in &ms {
            for c in &m.columns {
                if !columns.contains(c) {
                    columns.push(c);
                }
            }
        }
        if persona {
            // Both branches join the mapping and hand its `persona_id` (with `actor_ifi`) up.
            for c in ["actor_ifi", "persona_id"] {
                if !columns.contains(&c) {
                    columns.push(c);
                }
            }
        }
        // Both tables have the view's columns (`hour`, keys, values): the same conditions.
        let clean_join = join(&mut params);
        let conds = conditions(q, now_us, true, &mut params);
        let clean = crate::voided::clean_cells(&columns, clean_join, &conds, q.store, &mut params);
        let redone_join = join(&mut params);
        let conds = conditions(q, now_us, true, &mut params);
        let redone =
            crate::voided::recomputed_cells(&columns, redone_join, &conds, q.store, &mut params);
        format!("({clean} UNION ALL {redone})")
    };
    params.push(Param::I64(q.limit as i64));
    Ok(Plan {
        sql: format!(
            "SELECT {} FROM {from} GROUP BY k0, k1 ORDER BY k0, k1 LIMIT ?",
            select.join(", ")
        ),
        params,
        source: if use_view { "aggregate" } else { "raw" },
    })
}

/// The store, time range and filter conditions on the hourly aggregates or the raw table.
fn conditions(q: &AggregateQuery, now_us: i64, view: bool, params: &mut Vec<Param>) -> Vec<String> {
    let mut conds = vec!["store = toUUID(?)".to_string()];
    params.push(Param::Str(q.store.0.to_string()));
    let (ge, lt) = if view {
        ("hour >= toDateTime(?)", "hour < toDateTime(?)")
    } else {
        ("timestamp_us >= ?", "timestamp_us < ?")
    };
    for (t, cond) in [(q.from_us, ge), (q.to_us, lt)] {
        if let Some(t) = t {
            conds.push(cond.into());
            params.push(Param::I64(if view { t.div_euclid(1_000_000) } else { t }));
        }
    }
    if let Some(f) = &q.filter {
        let sql = f.to_sql(now_us);
        conds.push(format!("({})", sql.clause));
        params.extend(sql.params);
    }
    conds
}

fn dimension(
    d: &Dimension,
    view: bool,
    tz: &str,
    params: &mut Vec<Param>,
    columns: &mut Vec<&'static str>,
) -> String {
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
    let key = match d {
        Dimension::Verb => Some("verb"),
        Dimension::Activity => Some("object_id"),
        Dimension::ActivityType => Some("activity_type"),
        Dimension::Actor | Dimension::Persona => Some("actor_ifi"),
        _ => None,
    };
    if let Some(k) = key.filter(|k| !columns.contains(k)) {
        columns.push(k);
    }
    for _ in 0..tz_binds {
        params.push(Param::Str(tz.to_string()));
    }
    expr
}

/// A measure's SQL: its value and its count of values (`avg` is sum / count, finished in Rust),
/// with their parameters, and the columns of the hourly aggregates it reads.
struct MeasureSql {
    value: Sql,
    count: Sql,
    columns: Vec<&'static str>,
}

fn text(clause: String) -> Sql {
    Sql {
        clause,
        params: Vec::new(),
    }
}

/// Unique actors read `actor_ifi` on both tables: every row of the aggregates holds at least one
/// statement of its actor, so `uniqExact(actor_ifi)` over them equals `uniqExactMerge(actors)`,
/// reads a plain column instead of hash-set states, and stays exact when rows recomputed for
/// voided statements join them. Unique personas likewise count the persona of `actor_ifi`.
fn measure(m: &Measure, view: bool) -> MeasureSql {
    let num = |agg: &str, f: &FieldRef| match f {
        FieldRef::Field(c) if view => MeasureSql {
            value: text(format!("toFloat64({agg}IfMerge({}_{agg}))", c.column)),
            count: text(format!("toUInt64(countIfMerge({}_n))", c.column)),
            columns: state_columns(c.column, agg),
        },
        // A numeric column, or an extension's number (NULL when absent or not a number).
        _ => {
            let x = match f {
                FieldRef::Field(c) => text(c.column.to_string()),
                FieldRef::Extension(e) => e.number_sql(),
            };
            MeasureSql {
                value: repeat(
                    &format!("toFloat64({agg}If(ifNull($x, 0), isNotNull($x)))"),
                    &x,
                ),
                count: repeat("toUInt64(countIf(isNotNull($x)))", &x),
                columns: vec![],
            }
        }
    };
    let plain = |raw: &str, merged: &str, column: &'static str| MeasureSql {
        value: text(format!("toFloat64({})", if view { merged } else { raw })),
        count: text("toUInt64(1)".into()),
        columns: vec![column],
    };
    match m {
        Measure::Count => plain("count()", "countMerge(statements)", "statements"),
        Measure::UniqueActors => plain("uniqExact(actor_ifi)", "uniqExact(actor_ifi)", "actor_ifi"),
        Measure::UniquePersonas => {
            let e = format!("uniqExact({})", crate::persona::EXPR);
            plain(&e, &e, "actor_ifi")
        }
        Measure::Successes => plain(
            "countIf(ifNull(success, 0) = 1)",
            "countIfMerge(successes)",
            "successes",
        ),
        Measure::Completions => plain(
            "countIf(ifNull(completion, 0) = 1)",
            "countIfMerge(completions)",
            "completions",
        ),
        Measure::Sum(f) => {
            let mut s = num("sum", f);
            s.count = text("toUInt64(1)".into());
            s
        }
        Measure::Avg(f) => num("sum", f),
        Measure::Min(f) => num("min", f),
        Measure::Max(f) => num("max", f),
    }
}

/// `template` with every `$x` replaced by `x`, whose parameters are repeated in order.
fn repeat(template: &str, x: &Sql) -> Sql {
    let mut out = text(String::new());
    for (i, part) in template.split("$x").enumerate() {
        if i > 0 {
            out.clause.push_str(&x.clause);
            out.params.extend(x.params.iter().cloned());
        }
        out.clause.push_str(part);
    }
    out
}

/// The state columns `{column}_n` and `{column}_{agg}` of the hourly aggregates (the names are
/// those of `hourly::STATE_COLUMNS`; the numeric columns are `VIEW_NUMBERS`).
fn state_columns(column: &'static str, agg: &str) -> Vec<&'static str> {
    let names = crate::hourly::state_names();
    [format!("{column}_n"), format!("{column}_{agg}")]
        .iter()
        .filter_map(|n| names.iter().find(|s| *s == n).copied())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::significant;

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

/// Plans and runs a request as of `now_us` (relative filters, time zone offsets): on the
/// aggregates it first asks whether voided statements lie in the range (`voided::in_range`).
pub async fn aggregate(
    p: &ClickHouseProjection,
    q: &AggregateQuery,
    now_us: i64,
) -> Result<AggregateResult, AnalyticsError> {
    let voided = uses_aggregates(q, now_us)? && crate::voided::in_range(p, q).await?;
    let plan = plan(q, now_us, voided)?;
    run(p, q, &plan).await
}

/// Runs a plan.
pub async fn run(
    p: &ClickHouseProjection,
    q: &AggregateQuery,
    plan: &Plan,
) -> Result<AggregateResult, AnalyticsError> {
    let groups: Vec<Group> = crate::filter::query(p.client(), &plan.sql, &plan.params)
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
        aggregate(self, q, jiff::Timestamp::now().as_microsecond()).await
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
