//! Evaluating a filter in process against a projected row, with the same meaning as the SQL.
use crate::ast::{Filter, Op, Value};
use crate::ext::{Extension, number};
use crate::fields::{Cell, FieldRef, Row};

impl Filter {
    /// Does `row` match? `now_us` resolves relative times exactly as [`Filter::to_sql`] does.
    pub fn matches(&self, row: &Row, now_us: i64) -> bool {
        match self {
            Filter::And(parts) => parts.iter().all(|p| p.matches(row, now_us)),
            Filter::Or(parts) => parts.iter().any(|p| p.matches(row, now_us)),
            Filter::Not(inner) => !inner.matches(row, now_us),
            Filter::Cond {
                field: FieldRef::Field(f),
                op,
            } => cond(row.cell(f.column), op, now_us),
            Filter::Cond {
                field: FieldRef::Extension(e),
                op,
            } => extension(row, e, op),
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

/// An extension condition holds when some `(key, value)` pair of the row has the extension's key
/// and a value that meets it (as `arrayExists` over `ext_keys`, `ext_values` in SQL).
fn extension(row: &Row, e: &Extension, op: &Op) -> bool {
    let mut values = row
        .extensions
        .iter()
        .filter(|(k, _)| k == e.key())
        .map(|(_, v)| v.as_str());
    match op {
        Op::Exists(want) => values.next().is_some() == *want,
        Op::Eq(v) => values.any(|x| x == text(v)),
        Op::In(vs) => values.any(|x| vs.iter().any(|v| x == text(v))),
        Op::Prefix(p) => values.any(|x| x.starts_with(p.as_str())),
        Op::Range { gt, gte, lt, lte } => values.filter_map(number).any(|x| {
            gt.as_ref().is_none_or(|v| x > num(v, 0))
                && gte.as_ref().is_none_or(|v| x >= num(v, 0))
                && lt.as_ref().is_none_or(|v| x < num(v, 0))
                && lte.as_ref().is_none_or(|v| x <= num(v, 0))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pairs: &[(&str, &str)]) -> Row {
        Row {
            extensions: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Row::default()
        }
    }

    fn hits(filter: &str, r: &Row) -> bool {
        Filter::parse_str(filter).unwrap().matches(r, 0)
    }

    #[test]
    fn extensions_match_by_full_path_and_text() {
        let r = row(&[
            ("result.extensions.http://x/n", "2.5"),
            ("context.extensions.http://x/n", "abc"),
        ]);
        assert!(hits(
            r#"{"field": "result.extensions.http://x/n", "eq": 2.50}"#,
            &r
        ));
        assert!(hits(
            r#"{"field": "result.extensions.http://x/n", "eq": "2.5"}"#,
            &r
        ));
        assert!(!hits(
            r#"{"field": "context.extensions.http://x/n", "eq": 2.5}"#,
            &r
        ));
        assert!(hits(
            r#"{"field": "result.extensions.http://x/n", "range": {"gt": 2, "lt": 3}}"#,
            &r
        ));
        // The same IRI in another container is another path; a non-number never meets a range.
        assert!(!hits(
            r#"{"field": "context.extensions.http://x/n", "range": {"gt": -1e300}}"#,
            &r
        ));
        assert!(hits(
            r#"{"not": {"field": "context.extensions.http://x/n", "range": {"gt": 0}}}"#,
            &r
        ));
        assert!(hits(
            r#"{"field": "context.extensions.http://x/n", "prefix": "ab"}"#,
            &r
        ));
        assert!(hits(
            r#"{"field": "context.extensions.http://x/n", "in": ["z", "abc"]}"#,
            &r
        ));
        assert!(!hits(
            r#"{"field": "object.definition.extensions.http://x/n", "exists": true}"#,
            &r
        ));
        assert!(hits(
            r#"{"field": "object.definition.extensions.http://x/n", "exists": false}"#,
            &r
        ));
    }
}
