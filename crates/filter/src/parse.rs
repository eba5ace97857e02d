//! Parsing and validating the JSON form of a filter. Every error names the offending node with
//! a JSON pointer into the submitted filter.
//!
//! ```json
//! {"and": [
//!   {"field": "verb", "in": ["http://adlnet.gov/expapi/verbs/passed", "http://adlnet.gov/expapi/verbs/failed"]},
//!   {"field": "result.score.scaled", "range": {"gte": 0.5}},
//!   {"not": {"field": "context.platform", "eq": "test"}},
//!   {"field": "timestamp", "range": {"gte": {"ago": "P7D", "tz": "Europe/Paris", "align": "day"}}}
//! ]}
//! ```
use crate::ast::{Filter, Op, TimeValue, Value};
use crate::ext::value_text;
use crate::fields::{FieldKind, FieldRef};
use serde_json::Value as Json;

/// Where the filter is wrong (a JSON pointer) and what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub pointer: String,
    pub message: String,
}

impl std::fmt::Display for FilterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(f, "filter {at}: {}", self.message)
    }
}

impl std::error::Error for FilterError {}

/// Deepest nesting accepted (the tree is walked recursively).
pub(crate) const MAX_DEPTH: usize = 32;

fn err(pointer: &str, message: impl Into<String>) -> FilterError {
    FilterError {
        pointer: pointer.to_owned(),
        message: message.into(),
    }
}

impl Filter {
    /// Parses a filter from JSON text.
    pub fn parse_str(text: &str) -> Result<Filter, FilterError> {
        let json: Json =
            serde_json::from_str(text).map_err(|e| err("", format!("not JSON: {e}")))?;
        Filter::parse(&json)
    }

    /// Parses and validates a filter from a JSON value.
    pub fn parse(json: &Json) -> Result<Filter, FilterError> {
        node(json, "", 0)
    }

    /// Checks the filter's size against `limits`, then parses it.
    pub fn parse_within(json: &Json, limits: &crate::Limits) -> Result<Filter, FilterError> {
        limits.check(json)?;
        Filter::parse(json)
    }
}

fn node(json: &Json, at: &str, depth: usize) -> Result<Filter, FilterError> {
    if depth > MAX_DEPTH {
        return Err(err(at, format!("nested deeper than {MAX_DEPTH} levels")));
    }
    let obj = json
        .as_object()
        .ok_or_else(|| err(at, "a filter node must be an object"))?;
    for (key, make) in [
        ("and", Filter::And as fn(Vec<Filter>) -> Filter),
        ("or", Filter::Or),
    ] {
        if let Some(list) = obj.get(key) {
            if obj.len() != 1 {
                return Err(err(
                    at,
                    format!("an {key} node has only the {key:?} property"),
                ));
            }
            let items = list.as_array().ok_or_else(|| {
                err(
                    &format!("{at}/{key}"),
                    format!("{key} takes an array of filters"),
                )
            })?;
            let children = items
                .iter()
                .enumerate()
                .map(|(i, c)| node(c, &format!("{at}/{key}/{i}"), depth + 1))
                .collect::<Result<_, _>>()?;
            return Ok(make(children));
        }
    }
    if let Some(inner) = obj.get("not") {
        if obj.len() != 1 {
            return Err(err(at, "a not node has only the \"not\" property"));
        }
        return Ok(Filter::Not(Box::new(node(
            inner,
            &format!("{at}/not"),
            depth + 1,
        )?)));
    }
    let path = obj
        .get("field")
        .ok_or_else(|| err(at, "a filter node needs and, or, not, or field"))?;
    let path = path
        .as_str()
        .ok_or_else(|| err(&format!("{at}/field"), "field must be a string"))?;
    let f = FieldRef::parse(path).map_err(|m| err(&format!("{at}/field"), m))?;
    if obj.len() != 2 {
        return Err(err(
            at,
            "a condition has a field and exactly one of eq, in, range, exists, prefix",
        ));
    }
    let (op, arg) = obj
        .iter()
        .find(|(k, _)| *k != "field")
        .expect("two properties");
    let here = format!("{at}/{op}");
    let op = match op.as_str() {
        "eq" => Op::Eq(value(&f, arg, &here)?),
        "in" => {
            let items = arg
                .as_array()
                .ok_or_else(|| err(&here, "in takes an array of values"))?;
            if items.is_empty() {
                return Err(err(&here, "in needs at least one value"));
            }
            Op::In(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| value(&f, v, &format!("{here}/{i}")))
                    .collect::<Result<_, _>>()?,
            )
        }
        "range" => range(&f, arg, &here)?,
        "exists" => Op::Exists(
            arg.as_bool()
                .ok_or_else(|| err(&here, "exists takes true or false"))?,
        ),
        "prefix" => {
            if let FieldRef::Field(fixed) = &f
                && !matches!(fixed.kind, FieldKind::Str | FieldKind::StrArray)
            {
                return Err(err(
                    &here,
                    format!("prefix applies to text fields, not {}", fixed.path),
                ));
            }
            Op::Prefix(
                arg.as_str()
                    .ok_or_else(|| err(&here, "prefix takes a string"))?
                    .to_owned(),
            )
        }
        other => return Err(err(&here, format!("unknown operator {other:?}"))),
    };
    Ok(Filter::Cond { field: f, op })
}

fn range(f: &FieldRef, arg: &Json, at: &str) -> Result<Op, FilterError> {
    if let FieldRef::Field(f) = f
        && !matches!(f.kind, FieldKind::Num | FieldKind::Time)
    {
        return Err(err(
            at,
            format!("range applies to numeric and time fields, not {}", f.path),
        ));
    }
    let obj = arg
        .as_object()
        .ok_or_else(|| err(at, "range takes an object with gt, gte, lt, lte"))?;
    if obj.is_empty() {
        return Err(err(at, "range needs at least one of gt, gte, lt, lte"));
    }
    let (mut gt, mut gte, mut lt, mut lte) = (None, None, None, None);
    for (k, v) in obj {
        let slot = match k.as_str() {
            "gt" => &mut gt,
            "gte" => &mut gte,
            "lt" => &mut lt,
            "lte" => &mut lte,
            other => {
                return Err(err(
                    &format!("{at}/{other}"),
                    "range bounds are gt, gte, lt, lte",
                ));
            }
        };
        let here = format!("{at}/{k}");
        *slot = Some(match f {
            FieldRef::Extension(e) => number(v, e.key(), &here)?,
            FieldRef::Field(_) => value(f, v, &here)?,
        });
    }
    Ok(Op::Range { gt, gte, lt, lte })
}

/// An extension's range bound: a number.
fn number(v: &Json, path: &str, at: &str) -> Result<Value, FilterError> {
    v.as_f64()
        .filter(|x| x.is_finite())
        .map(Value::Num)
        .ok_or_else(|| err(at, format!("a range on {path} takes numbers")))
}

fn value(f: &FieldRef, v: &Json, at: &str) -> Result<Value, FilterError> {
    let f = match f {
        // Any JSON value, compared as the projection's text of it.
        FieldRef::Extension(_) => return Ok(Value::Str(value_text(v))),
        FieldRef::Field(f) => f,
    };
    match f.kind {
        FieldKind::Str | FieldKind::StrArray => v
            .as_str()
            .map(|s| Value::Str(s.to_owned()))
            .ok_or_else(|| err(at, format!("{} takes a string", f.path))),
        FieldKind::Num => v
            .as_f64()
            .filter(|x| x.is_finite())
            .map(Value::Num)
            .ok_or_else(|| err(at, format!("{} takes a number", f.path))),
        FieldKind::Bool => v
            .as_bool()
            .map(Value::Bool)
            .ok_or_else(|| err(at, format!("{} takes true or false", f.path))),
        FieldKind::Time => time(v, at).map(Value::Time),
    }
}

/// An RFC 3339 timestamp, or `{"ago": ISO 8601 duration, "tz": IANA zone, "align": unit}`.
fn time(v: &Json, at: &str) -> Result<TimeValue, FilterError> {
    if let Some(s) = v.as_str() {
        let ts: jiff::Timestamp = s
            .parse()
            .map_err(|e| err(at, format!("{s:?} is not an RFC 3339 timestamp: {e}")))?;
        return Ok(TimeValue::Absolute(ts.as_microsecond()));
    }
    let obj = v.as_object().ok_or_else(|| {
        err(
            at,
            "a time is an RFC 3339 string or {\"ago\": …, \"tz\": …, \"align\": …}",
        )
    })?;
    if let Some(k) = obj
        .keys()
        .find(|k| !matches!(k.as_str(), "ago" | "tz" | "align"))
    {
        return Err(err(
            &format!("{at}/{k}"),
            "relative times have ago, tz and align",
        ));
    }
    let ago = obj
        .get("ago")
        .and_then(Json::as_str)
        .ok_or_else(|| err(at, "a relative time needs ago (a duration such as P7D)"))?;
    let ago: jiff::Span = ago.parse().map_err(|e| {
        err(
            &format!("{at}/ago"),
            format!("{ago:?} is not a duration (ISO 8601 such as P7D, or \"7 days\"): {e}"),
        )
    })?;
    let tz = match obj.get("tz") {
        None => jiff::tz::TimeZone::UTC,
        Some(t) => {
            let name = t
                .as_str()
                .ok_or_else(|| err(&format!("{at}/tz"), "tz is an IANA zone name"))?;
            jiff::tz::TimeZone::get(name)
                .map_err(|_| err(&format!("{at}/tz"), format!("unknown time zone {name:?}")))?
        }
    };
    let align = match obj.get("align").map(|a| a.as_str()) {
        None => None,
        Some(Some("hour")) => Some(jiff::Unit::Hour),
        Some(Some("day")) => Some(jiff::Unit::Day),
        Some(Some("week")) => Some(jiff::Unit::Week),
        Some(Some("month")) => Some(jiff::Unit::Month),
        Some(_) => {
            return Err(err(
                &format!("{at}/align"),
                "align is hour, day, week or month",
            ));
        }
    };
    Ok(TimeValue::Relative { ago, tz, align })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(text: &str) -> FilterError {
        Filter::parse_str(text).unwrap_err()
    }

    #[test]
    fn parses_the_documented_example() {
        let f = Filter::parse_str(
            r#"{"and": [
                {"field": "verb", "in": ["http://v/passed", "http://v/failed"]},
                {"field": "result.score.scaled", "range": {"gte": 0.5}},
                {"not": {"field": "context.platform", "eq": "test"}},
                {"field": "timestamp", "range": {"gte": {"ago": "P7D", "tz": "Europe/Paris", "align": "day"}}}
            ]}"#,
        )
        .unwrap();
        let Filter::And(parts) = f else { panic!("and") };
        assert_eq!(parts.len(), 4);
    }

    #[test]
    fn errors_point_at_the_offending_node() {
        assert_eq!(
            e(r#"{"and": [{"field": "verb", "eq": 3}]}"#).pointer,
            "/and/0/eq"
        );
        assert_eq!(
            e(r#"{"or": [{"not": {"field": "colour", "eq": "x"}}]}"#).pointer,
            "/or/0/not/field"
        );
        assert_eq!(
            e(r#"{"field": "verb", "range": {"gte": "a"}}"#).pointer,
            "/range"
        );
        assert_eq!(
            e(r#"{"field": "timestamp", "range": {"gte": {"ago": "a week or so"}}}"#).pointer,
            "/range/gte/ago"
        );
        assert_eq!(
            e(r#"{"field": "timestamp", "range": {"lt": {"ago": "P1D", "tz": "Mars/Base"}}}"#)
                .pointer,
            "/range/lt/tz"
        );
        assert_eq!(e(r#"{"field": "verb", "in": []}"#).pointer, "/in");
        assert_eq!(
            e(r#"{"field": "verb", "eq": "a", "prefix": "b"}"#).pointer,
            ""
        );
        assert_eq!(e(r#"[1]"#).pointer, "");
        assert!(
            e(r#"{"field": "verb", "like": "a"}"#)
                .message
                .contains("unknown operator")
        );
        assert!(e("{").message.contains("not JSON"));
    }

    #[test]
    fn extension_paths() {
        let f = Filter::parse_str(
            r#"{"and": [
                {"field": "result.extensions.http://x/n", "range": {"gte": 1}},
                {"field": "context.extensions.http://x/n", "in": ["a", 2.50, true, {"b": 1, "a": null}]},
                {"field": "object.definition.extensions.urn:x:y", "prefix": "ab"}
            ]}"#,
        )
        .unwrap();
        let Filter::And(parts) = f else { panic!("and") };
        let Filter::Cond { field, op } = &parts[1] else {
            panic!("cond")
        };
        assert_eq!(field.path(), "context.extensions.http://x/n");
        let texts = ["a", "2.5", "true", r#"{"a":null,"b":1}"#];
        assert_eq!(op, &Op::In(texts.map(|t| Value::Str(t.into())).to_vec()));
        assert_eq!(
            e(r#"{"not": {"field": "result.extensions.not an iri", "eq": 1}}"#).pointer,
            "/not/field"
        );
        assert_eq!(
            e(r#"{"field": "result.extensions.http://x/n", "range": {"lt": "5"}}"#).pointer,
            "/range/lt"
        );
        assert_eq!(
            e(r#"{"field": "result.extensions.http://x/n", "prefix": 5}"#).pointer,
            "/prefix"
        );
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let mut text = r#"{"field": "verb", "exists": true}"#.to_owned();
        for _ in 0..100 {
            text = format!(r#"{{"not": {text}}}"#);
        }
        assert!(e(&text).message.contains("nested deeper"));
    }

    #[test]
    fn relative_times_resolve_in_their_zone() {
        let f = Filter::parse_str(r#"{"field": "stored", "range": {"gte": {"ago": "P1D", "tz": "Europe/Paris", "align": "day"}}}"#).unwrap();
        let Filter::Cond {
            op:
                Op::Range {
                    gte: Some(Value::Time(t)),
                    ..
                },
            ..
        } = f
        else {
            panic!()
        };
        // 2026-11-27T03:00:00Z is 04:00 in Paris; one day back, start of day: 2026-11-26T00:00+01:00.
        let now: jiff::Timestamp = "2026-11-27T03:00:00Z".parse().unwrap();
        let want: jiff::Timestamp = "2026-11-25T23:00:00Z".parse().unwrap();
        assert_eq!(t.resolve(now.as_microsecond()), want.as_microsecond());
    }
}
