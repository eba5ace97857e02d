//! Compiling a filter to a parameterised ClickHouse `WHERE` clause over `statements`.
//!
//! Values never appear in the SQL text: each is a `?` placeholder with a [`Param`], bound in
//! order by the caller. Nullable columns are wrapped in `ifNull(…, 0)` so the SQL is two-valued
//! like the in-process predicate (an absent score never matches a condition on it, and `not`
//! of such a condition matches).
use crate::ast::{Filter, Op, Value};
use crate::ext::{Extension, NUMBER_PATTERN};
use crate::fields::{FieldKind, FieldRef};

/// A bound value.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Str(String),
    F64(f64),
    I64(i64),
    U8(u8),
}

impl Param {
    /// The value as a ClickHouse literal (for tools that run the SQL without binding, such as
    /// the chDB check). Strings are quoted and escaped.
    pub fn to_literal(&self) -> String {
        let mut out = String::new();
        self.write_literal(&mut out);
        out
    }

    fn write_literal(&self, out: &mut String) {
        use std::fmt::Write;
        match self {
            Param::Str(s) => {
                out.reserve(s.len() + 2);
                out.push('\'');
                for c in s.chars() {
                    match c {
                        '\\' => out.push_str("\\\\"),
                        '\'' => out.push_str("\\'"),
                        c => out.push(c),
                    }
                }
                out.push('\'');
            }
            Param::F64(x) => {
                let _ = write!(out, "{x:?}");
            }
            Param::I64(x) => {
                let _ = write!(out, "{x}");
            }
            Param::U8(x) => {
                let _ = write!(out, "{x}");
            }
        }
    }
}

/// A `WHERE` fragment with its parameters in placeholder order.
#[derive(Debug, Clone, PartialEq)]
pub struct Sql {
    pub clause: String,
    pub params: Vec<Param>,
}

impl Sql {
    /// The clause with every placeholder replaced by its literal.
    pub fn to_literal_sql(&self) -> String {
        inline(&self.clause, &self.params)
    }
}

/// `sql` with its `?` placeholders replaced, in order, by the literals of `params`, in one pass
/// (time linear in the text and the values, whatever their number). `??` is a literal `?` (as
/// the ClickHouse client reads it), so a column alias may hold one. Strings are quoted and their
/// quotes and backslashes escaped, so a value can never end its literal; the inserted text is
/// not scanned again.
pub fn inline(sql: &str, params: &[Param]) -> String {
    let mut out = String::with_capacity(sql.len() + 16 * params.len());
    let mut params = params.iter();
    let mut rest = sql;
    while let Some(at) = rest.find('?') {
        out.push_str(&rest[..at]);
        if rest[at + 1..].starts_with('?') {
            out.push('?');
            rest = &rest[at + 2..];
        } else {
            if let Some(p) = params.next() {
                p.write_literal(&mut out);
            }
            rest = &rest[at + 1..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod inline_tests {
    use super::*;

    #[test]
    fn a_doubled_question_mark_is_a_literal_one() {
        let sql = "SELECT x AS `a??b` WHERE y = ? AND z = ?";
        let out = inline(sql, &[Param::Str("it's?".into()), Param::I64(3)]);
        assert_eq!(out, r"SELECT x AS `a?b` WHERE y = 'it\'s?' AND z = 3");
    }
}

impl Filter {
    /// The filter as a ClickHouse boolean expression over the `statements` columns.
    pub fn to_sql(&self, now_us: i64) -> Sql {
        let mut sql = Sql {
            clause: String::new(),
            params: Vec::new(),
        };
        write(self, now_us, &mut sql);
        sql
    }
}

fn param(v: &Value, now_us: i64) -> Param {
    match v {
        Value::Str(s) => Param::Str(s.clone()),
        Value::Num(x) => Param::F64(*x),
        Value::Bool(b) => Param::U8(u8::from(*b)),
        Value::Time(t) => Param::I64(t.resolve(now_us)),
    }
}

fn join(parts: &[Filter], sep: &str, empty: &str, now_us: i64, out: &mut Sql) {
    if parts.is_empty() {
        out.clause.push_str(empty);
        return;
    }
    out.clause.push('(');
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.clause.push_str(sep);
        }
        write(p, now_us, out);
    }
    out.clause.push(')');
}

fn write(f: &Filter, now_us: i64, out: &mut Sql) {
    match f {
        Filter::And(parts) => join(parts, " AND ", "1", now_us, out),
        Filter::Or(parts) => join(parts, " OR ", "0", now_us, out),
        Filter::Not(inner) => {
            out.clause.push_str("NOT (");
            write(inner, now_us, out);
            out.clause.push(')');
        }
        Filter::Cond {
            field: FieldRef::Extension(e),
            op,
        } => extension(e, op, out),
        Filter::Cond {
            field: FieldRef::Field(field),
            op,
        } => {
            let col = field.column;
            let nullable = matches!(field.kind, FieldKind::Num | FieldKind::Bool);
            let array = field.kind == FieldKind::StrArray;
            let expr = match op {
                Op::Exists(want) => {
                    let test = match field.kind {
                        FieldKind::Str => format!("{col} != ''"),
                        FieldKind::StrArray => format!("notEmpty({col})"),
                        FieldKind::Num | FieldKind::Bool => format!("isNotNull({col})"),
                        FieldKind::Time => "1".to_owned(),
                    };
                    out.clause
                        .push_str(&if *want { test } else { format!("NOT ({test})") });
                    return;
                }
                Op::Eq(_) if array => format!("has({col}, ?)"),
                Op::Eq(_) => format!("{col} = ?"),
                Op::In(vs) => {
                    let holes = vec!["?"; vs.len()].join(", ");
                    if array {
                        format!("hasAny({col}, [{holes}])")
                    } else {
                        format!("{col} IN ({holes})")
                    }
                }
                Op::Prefix(_) if array => format!("arrayExists(x -> startsWith(x, ?), {col})"),
                Op::Prefix(_) => format!("startsWith({col}, ?)"),
                Op::Range { gt, gte, lt, lte } => [(gt, ">"), (gte, ">="), (lt, "<"), (lte, "<=")]
                    .iter()
                    .filter(|(v, _)| v.is_some())
                    .map(|(_, op)| format!("{col} {op} ?"))
                    .collect::<Vec<_>>()
                    .join(" AND "),
            };
            let values: Vec<&Value> = match op {
                Op::Eq(v) => vec![v],
                Op::In(vs) => vs.iter().collect(),
                Op::Prefix(_) | Op::Exists(_) => vec![],
                Op::Range { gt, gte, lt, lte } => {
                    [gt, gte, lt, lte].into_iter().flatten().collect()
                }
            };
            if let Op::Prefix(p) = op {
                out.params.push(Param::Str(p.clone()));
            }
            out.params
                .extend(values.into_iter().map(|v| param(v, now_us)));
            if nullable {
                out.clause.push_str(&format!("ifNull({expr}, 0)"));
            } else {
                out.clause.push('(');
                out.clause.push_str(&expr);
                out.clause.push(')');
            }
        }
    }
}

impl Extension {
    /// The extension's value text in a `statements` row, `''` when the row has none.
    pub fn text_sql(&self) -> Sql {
        Sql {
            clause: "ext_values[indexOf(ext_keys, ?)]".into(),
            params: vec![Param::Str(self.key().to_owned())],
        }
    }

    /// The extension's number in a `statements` row: NULL when the row has none or its text
    /// is not a JSON number.
    pub fn number_sql(&self) -> Sql {
        let text = self.text_sql();
        let mut params = text.params;
        params.push(Param::Str(NUMBER_PATTERN.into()));
        Sql {
            clause: format!("toFloat64OrNull(extract({}, ?))", text.clause),
            params,
        }
    }
}

/// `arrayExists` over the `(ext_keys, ext_values)` pairs: the key is the extension's and the
/// value `v` meets the condition (the same reading as the in-process predicate).
fn extension(e: &Extension, op: &Op, out: &mut Sql) {
    let key = Param::Str(e.key().to_owned());
    if let Op::Exists(want) = op {
        out.clause.push_str(if *want {
            "has(ext_keys, ?)"
        } else {
            "NOT has(ext_keys, ?)"
        });
        out.params.push(key);
        return;
    }
    out.params.push(key);
    let test = match op {
        Op::Eq(v) => {
            out.params.push(param(v, 0));
            "v = ?".to_string()
        }
        Op::In(vs) => {
            out.params.extend(vs.iter().map(|v| param(v, 0)));
            format!("v IN ({})", vec!["?"; vs.len()].join(", "))
        }
        Op::Prefix(p) => {
            out.params.push(Param::Str(p.clone()));
            "startsWith(v, ?)".to_string()
        }
        Op::Range { gt, gte, lt, lte } => {
            let mut bounds = Vec::new();
            for (bound, cmp) in [(gt, ">"), (gte, ">="), (lt, "<"), (lte, "<=")] {
                if let Some(b) = bound {
                    bounds.push(format!("toFloat64OrNull(extract(v, ?)) {cmp} ?"));
                    out.params.push(Param::Str(NUMBER_PATTERN.into()));
                    out.params.push(param(b, 0));
                }
            }
            format!("ifNull({}, 0)", bounds.join(" AND "))
        }
        Op::Exists(_) => unreachable!("handled above"),
    };
    out.clause.push_str(&format!(
        "arrayExists((k, v) -> k = ? AND {test}, ext_keys, ext_values)"
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_parameters_never_sql() {
        let f = Filter::parse_str(r#"{"and": [{"field": "verb", "eq": "x'); DROP TABLE statements; --"}, {"field": "agents", "in": ["a", "b"]}, {"field": "result.score.scaled", "range": {"gte": 0.5, "lt": 1}}]}"#).unwrap();
        let sql = f.to_sql(0);
        assert_eq!(
            sql.clause,
            "((verb = ?) AND (hasAny(agents, [?, ?])) AND ifNull(score_scaled >= ? AND score_scaled < ?, 0))"
        );
        assert!(!sql.clause.contains("DROP"));
        assert_eq!(sql.params.len(), 5);
        assert!(
            sql.to_literal_sql()
                .contains(r"'x\'); DROP TABLE statements; --'")
        );
    }

    #[test]
    fn extensions_compile_to_bound_pair_tests() {
        let f = Filter::parse_str(
            r#"{"or": [
                {"field": "result.extensions.http://x/a", "in": ["p", 1.0]},
                {"field": "context.extensions.http://x/a", "range": {"gt": 1, "lte": 2}},
                {"not": {"field": "object.definition.extensions.http://x/a", "exists": true}}
            ]}"#,
        )
        .unwrap();
        let sql = f.to_sql(0);
        assert_eq!(
            sql.clause,
            "(arrayExists((k, v) -> k = ? AND v IN (?, ?), ext_keys, ext_values) OR \
             arrayExists((k, v) -> k = ? AND ifNull(toFloat64OrNull(extract(v, ?)) > ? AND \
             toFloat64OrNull(extract(v, ?)) <= ?, 0), ext_keys, ext_values) OR \
             NOT (has(ext_keys, ?)))"
        );
        assert_eq!(sql.clause.matches('?').count(), sql.params.len());
        assert_eq!(sql.params[2], Param::Str("1.0".into()));
        assert_eq!(
            sql.params[3],
            Param::Str("context.extensions.http://x/a".into())
        );
        assert!(!NUMBER_PATTERN.contains('\''));
    }

    #[test]
    fn empty_and_or() {
        assert_eq!(Filter::And(vec![]).to_sql(0).clause, "1");
        assert_eq!(Filter::Or(vec![]).to_sql(0).clause, "0");
    }
}
