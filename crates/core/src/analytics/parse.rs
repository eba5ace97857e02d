//! Parsing and validating aggregate requests (`AggregateQuery::parse`): every error names the
//! offending node with a JSON pointer.
use super::*;
use cairn_filter::{FieldKind, FieldRef};
use serde_json::Value as Json;

pub const MAX_LIMIT: u64 = 10_000;

impl AggregateQuery {
    /// Parses `{"filter", "from", "to", "group_by", "measures", "tz", "source", "limit",
    /// "order_by", "compare"}` with the default limits.
    pub fn parse(store: StoreId, json: &Json) -> Result<AggregateQuery, RequestError> {
        Self::parse_with(store, json, &AnalyticsLimits::default())
    }

    /// [`AggregateQuery::parse`] with the server's limits.
    pub fn parse_with(
        store: StoreId,
        json: &Json,
        limits: &AnalyticsLimits,
    ) -> Result<AggregateQuery, RequestError> {
        let Common {
            obj,
            filter,
            tz,
            from_us,
            to_us,
        } = common(
            json,
            &[
                "filter", "from", "to", "group_by", "measures", "tz", "source", "limit",
                "order_by", "compare",
            ],
            &limits.filter,
        )?;
        let group_by = match obj.get("group_by") {
            None => Vec::new(),
            Some(Json::Array(items)) if items.len() <= 2 => items
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    let at = format!("/group_by/{i}");
                    if let Some(b) = d.as_object().and_then(|o| o.get("bucket")) {
                        return bucket(b, &format!("{at}/bucket"), d);
                    }
                    dimension(d).ok_or_else(|| RequestError::new(at, why(d, "unknown dimension")))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(RequestError::new(
                    "/group_by",
                    "expected at most two dimensions",
                ));
            }
        };
        let measures = match obj.get("measures") {
            None => vec![Measure::Count],
            Some(Json::Array(items)) if !items.is_empty() && items.len() <= 16 => items
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    measure(m).ok_or_else(|| {
                        RequestError::new(format!("/measures/{i}"), why(m, "unknown measure"))
                    })
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(RequestError::new("/measures", "expected 1 to 16 measures")),
        };
        let source = match obj.get("source").and_then(Json::as_str) {
            None if !obj.contains_key("source") => Source::Auto,
            Some("auto") => Source::Auto,
            Some("raw") => Source::Raw,
            Some("aggregate") => Source::Aggregate,
            _ => {
                return Err(RequestError::new(
                    "/source",
                    "expected auto, raw or aggregate",
                ));
            }
        };
        let limit = match obj.get("limit") {
            None => 1000,
            Some(v) => v
                .as_u64()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| RequestError::new("/limit", "expected 1 to 10000"))?,
        };
        let order_by = match obj.get("order_by") {
            None => None,
            Some(o) => Some(order_by(o, measures.len())?),
        };
        let compare = match obj.get("compare") {
            None => false,
            Some(Json::String(s)) if s == "previous_period" => match (from_us, to_us) {
                (Some(f), Some(t)) if f < t => true,
                _ => {
                    return Err(RequestError::new(
                        "/compare",
                        "previous_period needs from and to, from before to",
                    ));
                }
            },
            Some(_) => return Err(RequestError::new("/compare", "expected previous_period")),
        };
        Ok(AggregateQuery {
            store,
            filter,
            from_us,
            to_us,
            group_by,
            measures,
            tz,
            source,
            limit,
            order_by,
            compare,
            buckets_max: limits.buckets_max,
        })
    }
}

/// `{"measure": i, "dir": "desc" | "asc"}` (`dir` defaults to `desc`).
fn order_by(o: &Json, measures: usize) -> Result<OrderBy, RequestError> {
    let obj = o
        .as_object()
        .ok_or_else(|| RequestError::new("/order_by", "expected {\"measure\", \"dir\"}"))?;
    if let Some(key) = obj
        .keys()
        .find(|k| !matches!(k.as_str(), "measure" | "dir"))
    {
        return Err(RequestError::new(
            format!("/order_by/{key}"),
            "unknown field",
        ));
    }
    let measure = obj
        .get("measure")
        .and_then(Json::as_u64)
        .filter(|i| (*i as usize) < measures)
        .ok_or_else(|| {
            RequestError::new(
                "/order_by/measure",
                format!("expected the index of a measure (0 to {})", measures - 1),
            )
        })? as usize;
    let desc = match obj.get("dir").map(|d| d.as_str()) {
        None | Some(Some("desc")) => true,
        Some(Some("asc")) => false,
        Some(_) => return Err(RequestError::new("/order_by/dir", "expected desc or asc")),
    };
    Ok(OrderBy { measure, desc })
}

/// `{"bucket": {"path": NUMERIC FIELD or extension path, "width": w > 0, "origin"?: o}}`.
fn bucket(b: &Json, at: &str, whole: &Json) -> Result<Dimension, RequestError> {
    if whole.as_object().is_some_and(|o| o.len() != 1) {
        return Err(RequestError::new(
            at.trim_end_matches("/bucket"),
            "expected only bucket",
        ));
    }
    let obj = b
        .as_object()
        .ok_or_else(|| RequestError::new(at, "expected {\"path\", \"width\", \"origin\"}"))?;
    if let Some(key) = obj
        .keys()
        .find(|k| !matches!(k.as_str(), "path" | "width" | "origin"))
    {
        return Err(RequestError::new(format!("{at}/{key}"), "unknown field"));
    }
    let field = match obj.get("path").and_then(Json::as_str) {
        None => return Err(RequestError::new(format!("{at}/path"), "expected a path")),
        Some(p) => match FieldRef::parse(p) {
            Err(e) => return Err(RequestError::new(format!("{at}/path"), e)),
            Ok(f) if !f.is_numeric() => {
                return Err(RequestError::new(
                    format!("{at}/path"),
                    "expected a numeric field or an extension path",
                ));
            }
            Ok(f) => f,
        },
    };
    // Bucket indexes are 64-bit integers: keep them (and the lower bounds) well inside.
    let number = |key: &str, ok: fn(f64) -> bool, what: &str| match obj.get(key) {
        None if key == "origin" => Ok(0.0),
        Some(v) if v.as_f64().is_some_and(ok) => Ok(v.as_f64().unwrap_or_default()),
        _ => Err(RequestError::new(format!("{at}/{key}"), what)),
    };
    let width = number(
        "width",
        |w| w > 1e-9 && w < 1e15,
        "expected a number greater than 0 (1e-9 to 1e15)",
    )?;
    let origin = number("origin", |o| o.abs() < 1e15, "expected a number")?;
    Ok(Dimension::Bucket {
        field,
        width,
        origin,
    })
}

/// Why `{"…": PATH}` was refused: the path's own error (an unknown field, an extension whose IRI
/// is not absolute), else `fallback`.
fn why(node: &Json, fallback: &str) -> String {
    node.as_object()
        .filter(|o| o.len() == 1 && !o.contains_key("time") && !o.contains_key("bucket"))
        .and_then(|o| o.values().next()?.as_str())
        .and_then(|p| FieldRef::parse(p).err())
        .unwrap_or_else(|| fallback.to_string())
}

fn dimension(d: &Json) -> Option<Dimension> {
    Some(match d {
        Json::String(s) => match s.as_str() {
            "verb" => Dimension::Verb,
            "activity" => Dimension::Activity,
            "activity_type" => Dimension::ActivityType,
            "actor" => Dimension::Actor,
            "persona" => Dimension::Persona,
            "registration" => Dimension::Registration,
            _ => return None,
        },
        Json::Object(o) if o.len() == 1 => match o.iter().next()? {
            (k, Json::String(v)) if k == "time" => Dimension::Time(match v.as_str() {
                "hour" => TimeBucket::Hour,
                "day" => TimeBucket::Day,
                "week" => TimeBucket::Week,
                "month" => TimeBucket::Month,
                "weekday" => TimeBucket::Weekday,
                "hour_of_day" => TimeBucket::HourOfDay,
                _ => return None,
            }),
            (k, Json::String(v)) if k == "path" => match FieldRef::parse(v).ok()? {
                FieldRef::Field(f) if f.kind == FieldKind::Time => return None,
                f => Dimension::Path(f),
            },
            _ => return None,
        },
        _ => return None,
    })
}

fn measure(m: &Json) -> Option<Measure> {
    Some(match m {
        Json::String(s) => match s.as_str() {
            "count" => Measure::Count,
            "unique_actors" => Measure::UniqueActors,
            "unique_personas" => Measure::UniquePersonas,
            "successes" => Measure::Successes,
            "completions" => Measure::Completions,
            _ => return None,
        },
        Json::Object(o) if o.len() == 1 => {
            let (k, v) = o.iter().next()?;
            let f = FieldRef::parse(v.as_str()?)
                .ok()
                .filter(FieldRef::is_numeric)?;
            match k.as_str() {
                "sum" => Measure::Sum(f),
                "avg" => Measure::Avg(f),
                "min" => Measure::Min(f),
                "max" => Measure::Max(f),
                _ => return None,
            }
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(j: Json) -> Result<AggregateQuery, RequestError> {
        AggregateQuery::parse(StoreId(uuid::Uuid::nil()), &j)
    }

    #[test]
    fn parses_dimensions_measures_and_defaults() {
        let q = parse(json!({
            "group_by": [{"time": "day"}, "verb"],
            "measures": ["count", {"avg": "result.score.scaled"}],
            "tz": "Europe/Paris", "from": "2025-01-01T00:00:00Z", "source": "raw"
        }))
        .unwrap();
        assert_eq!(
            q.group_by,
            vec![Dimension::Time(TimeBucket::Day), Dimension::Verb]
        );
        assert!(
            matches!(&q.measures[1], Measure::Avg(FieldRef::Field(f)) if f.column == "score_scaled")
        );
        assert_eq!(q.from_us, Some(1_735_689_600_000_000));
        assert_eq!(
            (q.source, q.limit, q.tz.as_str()),
            (Source::Raw, 1000, "Europe/Paris")
        );
        assert_eq!(parse(json!({})).unwrap().measures, vec![Measure::Count]);
        let q = parse(json!({
            "group_by": [{"path": "context.extensions.http://x/level"}],
            "measures": [{"max": "result.extensions.http://x/points"}]
        }))
        .unwrap();
        assert!(
            matches!(&q.group_by[0], Dimension::Path(f) if f.path() == "context.extensions.http://x/level")
        );
        assert!(
            matches!(&q.measures[0], Measure::Max(f) if f.path() == "result.extensions.http://x/points")
        );
    }

    #[test]
    fn errors_point_at_the_node() {
        let e = |j| parse(j).unwrap_err().pointer;
        assert_eq!(e(json!({"group_by": ["verb", "nope"]})), "/group_by/1");
        assert_eq!(e(json!({"measures": [{"sum": "verb"}]})), "/measures/0");
        assert_eq!(
            e(json!({"measures": [{"sum": "result.extensions.not-an-iri"}]})),
            "/measures/0"
        );
        let bad_iri = parse(json!({"group_by": ["verb", {"path": "context.extensions.x"}]}));
        let bad_iri = bad_iri.unwrap_err();
        assert_eq!(bad_iri.pointer, "/group_by/1");
        assert!(bad_iri.message.contains("absolute IRI"), "{bad_iri}");
        assert_eq!(
            e(json!({"filter": {"and": [{"field": "nope", "eq": 1}]}})),
            "/filter/and/0/field"
        );
        assert_eq!(e(json!({"tz": "Mars/Base"})), "/tz");
        assert_eq!(
            e(json!({"group_by": ["verb", "actor", "activity"]})),
            "/group_by"
        );
        assert_eq!(e(json!({"x": 1})), "/x");
        assert_eq!(e(json!({"limit": 0})), "/limit");
    }

    #[test]
    fn parses_order_by_compare_and_buckets() {
        let q = parse(json!({
            "group_by": [{"bucket": {"path": "result.score.raw", "width": 10}}, "verb"],
            "measures": ["count", {"avg": "result.score.scaled"}],
            "order_by": {"measure": 1, "dir": "asc"}, "limit": 5,
            "from": "2025-01-08T00:00:00Z", "to": "2025-01-15T00:00:00Z",
            "compare": "previous_period"
        }))
        .unwrap();
        assert!(
            matches!(&q.group_by[0], Dimension::Bucket { field, width, origin }
                if field.path() == "result.score.raw" && *width == 10.0 && *origin == 0.0)
        );
        assert_eq!(
            q.order_by,
            Some(OrderBy {
                measure: 1,
                desc: false
            })
        );
        let prev = q.previous_period().expect("compare asks for it");
        assert_eq!(
            (prev.from_us, prev.to_us, prev.compare),
            (Some(1_735_689_600_000_000), q.from_us, false)
        );
        let q = parse(json!({"order_by": {"measure": 0}})).unwrap();
        assert!(q.order_by.unwrap().desc && !q.compare);
        assert!(q.previous_period().is_none());
        let q = parse(
            json!({"group_by": [{"bucket": {"path": "context.extensions.http://x/p",
            "width": 0.5, "origin": -0.25}}]}),
        )
        .unwrap();
        assert!(matches!(&q.group_by[0], Dimension::Bucket { origin, .. } if *origin == -0.25));
    }

    #[test]
    fn new_fields_point_at_the_node() {
        let e = |j| parse(j).unwrap_err().pointer;
        assert_eq!(
            e(json!({"measures": ["count"], "order_by": {"measure": 1}})),
            "/order_by/measure"
        );
        assert_eq!(
            e(json!({"order_by": {"measure": 0, "dir": "up"}})),
            "/order_by/dir"
        );
        assert_eq!(e(json!({"order_by": {"by": 0}})), "/order_by/by");
        assert_eq!(e(json!({"compare": "previous_period"})), "/compare");
        assert_eq!(
            e(
                json!({"compare": "previous_period", "from": "2025-01-02T00:00:00Z",
                "to": "2025-01-01T00:00:00Z"})
            ),
            "/compare"
        );
        assert_eq!(
            e(
                json!({"compare": "last_year", "from": "2025-01-01T00:00:00Z",
                "to": "2025-01-02T00:00:00Z"})
            ),
            "/compare"
        );
        let b = |bucket: Json| e(json!({"group_by": ["verb", {"bucket": bucket}]}));
        assert_eq!(
            b(json!({"path": "result.score.raw", "width": 0})),
            "/group_by/1/bucket/width"
        );
        assert_eq!(
            b(json!({"path": "result.score.raw", "width": -1})),
            "/group_by/1/bucket/width"
        );
        assert_eq!(
            b(json!({"path": "result.score.raw"})),
            "/group_by/1/bucket/width"
        );
        assert_eq!(
            b(json!({"path": "verb", "width": 1})),
            "/group_by/1/bucket/path"
        );
        assert_eq!(
            b(json!({"path": "result.extensions.nope", "width": 1})),
            "/group_by/1/bucket/path"
        );
        assert_eq!(
            b(json!({"path": "result.score.raw", "width": 1, "origin": "0"})),
            "/group_by/1/bucket/origin"
        );
        assert_eq!(
            b(json!({"path": "result.score.raw", "width": 1, "step": 2})),
            "/group_by/1/bucket/step"
        );
    }
}
