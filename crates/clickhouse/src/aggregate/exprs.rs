//! The SQL of a dimension and of a measure, on the hourly aggregates or on the raw table.
use cairn_core::analytics::{Dimension, Measure, TimeBucket};
use cairn_filter::{FieldKind, FieldRef, Param, Sql};

/// A dimension's key expression (text). Time buckets are taken `shift_us` later than the
/// statement's time (the previous period, aligned with the current one; whole hours on the
/// aggregates).
pub(super) fn dimension(
    d: &Dimension,
    view: bool,
    tz: &str,
    shift_us: i64,
    params: &mut Vec<Param>,
    columns: &mut Vec<&'static str>,
) -> String {
    let t = match (view, shift_us) {
        (true, 0) => "hour".to_string(),
        (true, s) => format!("(hour + {})", s.div_euclid(1_000_000)),
        (false, 0) => "timestamp".to_string(),
        (false, s) => format!("toDateTime(intDiv(timestamp_us + {s}, 1000000))"),
    };
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
        // The bucket's index (its lower bound is `origin + index × width`, computed in Rust).
        Dimension::Bucket {
            field,
            width,
            origin,
        } => {
            let x = match field {
                FieldRef::Field(c) => text(c.column.to_string()),
                FieldRef::Extension(e) => e.number_sql(),
            };
            params.extend(x.params);
            params.extend([Param::F64(*origin), Param::F64(*width)]);
            (
                format!(
                    "ifNull(toString(toInt64(floor((toFloat64({}) - ?) / ?))), '')",
                    x.clause
                ),
                0,
            )
        }
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
pub(super) struct MeasureSql {
    pub(super) value: Sql,
    pub(super) count: Sql,
    pub(super) columns: Vec<&'static str>,
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
pub(super) fn measure(m: &Measure, view: bool) -> MeasureSql {
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
