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
//!
//! `order_by` sorts by a measure's value in SQL (so `limit` keeps the top N), ties broken by the
//! keys; numeric buckets (raw table only) key by the bucket's index, turned into its lower bound
//! in Rust. The comparison with the previous period is a second plan ([`plan_previous`]): the
//! same request over the previous period, its time buckets shifted by the period's length so
//! their keys are the current period's, restricted to the current rows' keys (`run`).
mod exprs;
mod run;

pub use run::{aggregate, lower_bound, significant};

use cairn_core::analytics::{AggregateQuery, Dimension, Measure, RequestError, Source};
use cairn_filter::{FieldRef, Filter, Param, Sql};
use exprs::{MeasureSql, dimension, measure};

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
            Dimension::Path(f) | Dimension::Bucket { field: f, .. } => {
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
    plan_with(q, now_us, voided, 0, None)
}

/// The plan of `previous` (a request's [`AggregateQuery::previous_period`]): its time buckets
/// are shifted by the period's length, so they carry the current period's keys, and only the
/// groups whose SQL keys (`k0`, `k1`) are among `keys` (the current rows') are read.
pub fn plan_previous(
    previous: &AggregateQuery,
    now_us: i64,
    voided: bool,
    keys: &[(String, String)],
) -> Result<Plan, RequestError> {
    let shift = match (previous.from_us, previous.to_us) {
        (Some(from), Some(to)) => to - from,
        _ => 0,
    };
    plan_with(previous, now_us, voided, shift, Some(keys))
}

fn plan_with(
    q: &AggregateQuery,
    now_us: i64,
    voided: bool,
    shift_us: i64,
    keys: Option<&[(String, String)]>,
) -> Result<Plan, RequestError> {
    let use_view = uses_aggregates(q, now_us)?;
    let persona = crate::persona::aggregate_uses(q);
    let mut params = Vec::new();
    let mut select = Vec::new();
    let mut columns = vec!["hour"];
    for i in 0..2 {
        let expr = match q.group_by.get(i) {
            None => "''".to_string(),
            Some(d) => dimension(d, use_view, &q.tz, shift_us, &mut params, &mut columns),
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
    let mut sql = format!("SELECT {} FROM {from} GROUP BY k0, k1", select.join(", "));
    let limit = match keys {
        // The previous period: only the current rows' groups (the first repeated, so that a
        // single key is still a list of tuples to both versions).
        Some(keys) if !q.group_by.is_empty() => {
            let list: Vec<&(String, String)> = keys.iter().chain(keys.first()).collect();
            sql.push_str(" HAVING (k0, k1) IN (");
            sql.push_str(&vec!["(?, ?)"; list.len()].join(", "));
            sql.push(')');
            for (k0, k1) in list {
                params.extend([Param::Str(k0.clone()), Param::Str(k1.clone())]);
            }
            keys.len().max(1) as u64
        }
        Some(_) => 1,
        None => {
            sql.push_str(&format!(" ORDER BY {}", order(q).join(", ")));
            q.limit
        }
    };
    sql.push_str(" LIMIT ?");
    params.push(Param::I64(limit as i64));
    Ok(Plan {
        sql,
        params,
        source: if use_view { "aggregate" } else { "raw" },
    })
}

/// The ORDER BY terms: the measure's value when asked (`null` last), then the keys (bucket
/// indexes as numbers, buckets without a value last).
fn order(q: &AggregateQuery) -> Vec<String> {
    let mut terms = Vec::new();
    if let Some(o) = q.order_by {
        let i = o.measure + 1;
        let value = match q.measures[o.measure] {
            Measure::Avg(_) => format!("if(ns[{i}] = 0, NULL, vals[{i}] / ns[{i}])"),
            Measure::Min(_) | Measure::Max(_) => format!("if(ns[{i}] = 0, NULL, vals[{i}])"),
            _ => format!("vals[{i}]"),
        };
        let dir = if o.desc { "DESC" } else { "ASC" };
        terms.push(format!("{value} {dir} NULLS LAST"));
    }
    for i in 0..2 {
        terms.push(match q.group_by.get(i) {
            Some(Dimension::Bucket { .. }) => format!("toInt64OrNull(k{i}) NULLS LAST"),
            _ => format!("k{i}"),
        });
    }
    terms
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
