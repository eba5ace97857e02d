//! Evaluating a filter in process against a projected row, with the same meaning as the SQL.
use crate::ast::{Filter, Op, Value};
use crate::fields::{Cell, Row};

impl Filter {
    /// Does `row` match? `now_us` resolves relative times exactly as [`Filter::to_sql`] does.
    pub fn matches(&self, row: &Row, now_us: i64) -> bool {
        match self {
            Filter::And(parts) => parts.iter().all(|p| p.matches(row, now_us)),
            Filter::Or(parts) => parts.iter().any(|p| p.matches(row, now_us)),
            Filter::Not(inner) => !inner.matches(row, now_us),
            Filter::Cond { field, op } => cond(row.cell(field.column), op, now_us),
        }
    }
}

fn num(v: &Value, now_us: i64) -> f64 {
    match v {
        Value::Num(x) => *x,
        Value::Time(t) => t.resolve(now_us) as f64,
        _ => f64::NAN,
    }
}

fn time(v: &Value, now_us: i64) -> i64 {
    match v {
        Value::Time(t) => t.resolve(now_us),
        _ => i64::MIN,
    }
}

fn text(v: &Value) -> &str {
    match v {
        Value::Str(s) => s.as_str(),
        _ => "",
    }
}

fn cond(cell: Cell<'_>, op: &Op, now_us: i64) -> bool {
    match (cell, op) {
        (Cell::Str(s), Op::Exists(want)) => s.is_empty() != *want,
        (Cell::StrArray(a), Op::Exists(want)) => a.is_empty() != *want,
        (Cell::Num(x), Op::Exists(want)) => x.is_some() == *want,
        (Cell::Bool(b), Op::Exists(want)) => b.is_some() == *want,
        (Cell::Time(_), Op::Exists(want)) => *want,
        (Cell::Str(s), Op::Eq(v)) => s == text(v),
        (Cell::Str(s), Op::In(vs)) => vs.iter().any(|v| s == text(v)),
        (Cell::Str(s), Op::Prefix(p)) => s.starts_with(p.as_str()),
        (Cell::StrArray(a), Op::Eq(v)) => a.iter().any(|x| x == text(v)),
        (Cell::StrArray(a), Op::In(vs)) => a.iter().any(|x| vs.iter().any(|v| x == text(v))),
        (Cell::StrArray(a), Op::Prefix(p)) => a.iter().any(|x| x.starts_with(p.as_str())),
        (Cell::Num(Some(x)), Op::Eq(v)) => x == num(v, now_us),
        (Cell::Num(Some(x)), Op::In(vs)) => vs.iter().any(|v| x == num(v, now_us)),
        (Cell::Num(Some(x)), Op::Range { gt, gte, lt, lte }) => {
            gt.as_ref().is_none_or(|v| x > num(v, now_us))
                && gte.as_ref().is_none_or(|v| x >= num(v, now_us))
                && lt.as_ref().is_none_or(|v| x < num(v, now_us))
                && lte.as_ref().is_none_or(|v| x <= num(v, now_us))
        }
        (Cell::Bool(Some(b)), Op::Eq(Value::Bool(v))) => b == *v,
        (Cell::Bool(Some(b)), Op::In(vs)) => vs.iter().any(|v| *v == Value::Bool(b)),
        (Cell::Time(t), Op::Eq(v)) => t == time(v, now_us),
        (Cell::Time(t), Op::In(vs)) => vs.iter().any(|v| t == time(v, now_us)),
        (Cell::Time(t), Op::Range { gt, gte, lt, lte }) => {
            gt.as_ref().is_none_or(|v| t > time(v, now_us))
                && gte.as_ref().is_none_or(|v| t >= time(v, now_us))
                && lt.as_ref().is_none_or(|v| t < time(v, now_us))
                && lte.as_ref().is_none_or(|v| t <= time(v, now_us))
        }
        // Absent numbers and booleans never meet a condition (SQL: ifNull(…, 0)).
        _ => false,
    }
}
