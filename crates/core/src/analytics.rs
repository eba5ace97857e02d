//! Analytics queries (issue 5): an aggregate request — a filter, a time range, up to two
//! group-by dimensions and a list of measures — parsed and validated from JSON, and the port
//! ([`Analytics`]) that answers it. `cairn-clickhouse` implements the port, from the hourly
//! aggregates when the request fits them and from the raw `statements` table otherwise; both
//! give the same answer. Errors carry a JSON pointer to the offending node.
use crate::ids::StoreId;
use crate::ports::ProjectionError;
use cairn_filter::{FieldKind, FieldRef, Filter, FilterError};
use serde_json::Value as Json;

/// A time bucket, computed in [`AggregateQuery::tz`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeBucket {
    Hour,
    Day,
    Week,
    Month,
    Weekday,
    HourOfDay,
}

/// What to group by.
#[derive(Debug, Clone, PartialEq)]
pub enum Dimension {
    /// Buckets of the statement's timestamp.
    Time(TimeBucket),
    Verb,
    /// The object id (the activity id for activities).
    Activity,
    ActivityType,
    Actor,
    /// The actor's persona: a persona id, or the actor's identifier when no persona holds it.
    Persona,
    Registration,
    /// Any filter field: string fields group by value, list fields count a statement under each
    /// of its values, numbers and booleans group by their text (`''` when absent); an extension
    /// path groups by its value's text (`''` when absent).
    Path(FieldRef),
}

/// What to compute per group. `sum` / `avg` / `min` / `max` read a numeric field or an
/// extension path's numeric values (values that are not JSON numbers are left out).
#[derive(Debug, Clone, PartialEq)]
pub enum Measure {
    Count,
    UniqueActors,
    /// Distinct personas (identifiers no persona holds count as their own).
    UniquePersonas,
    Successes,
    Completions,
    Sum(FieldRef),
    Avg(FieldRef),
    Min(FieldRef),
    Max(FieldRef),
}

/// Where to read from: `Auto` picks the aggregates when the request fits them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Auto,
    Raw,
    Aggregate,
}

/// A validated aggregate request.
#[derive(Debug, Clone)]
pub struct AggregateQuery {
    pub store: StoreId,
    pub filter: Option<Filter>,
    /// Statement timestamps in `[from_us, to_us)`, epoch microseconds.
    pub from_us: Option<i64>,
    pub to_us: Option<i64>,
    pub group_by: Vec<Dimension>,
    pub measures: Vec<Measure>,
    /// IANA time zone of the time buckets.
    pub tz: String,
    pub source: Source,
    pub limit: u64,
}

/// One group: its dimension values (as text) and one value per measure (`None` for an average,
/// minimum or maximum over no values).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AggregateRow {
    pub keys: Vec<String>,
    pub values: Vec<Option<f64>>,
}

/// The answer, and which table served it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AggregateResult {
    pub source: &'static str,
    pub rows: Vec<AggregateRow>,
}

/// A value seen at a path: in how many statements, first and last stored (epoch µs).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ValueCount {
    pub value: String,
    pub count: u64,
    pub first_seen_us: i64,
    pub last_seen_us: i64,
}

/// What an export or a statements page holds per statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// The statements themselves, one JSON document a line.
    Statements,
    /// The chosen fields, one JSON object a line.
    Ndjson,
    /// The chosen fields, CSV with a header line.
    Csv,
}

/// Extra columns a statements query may choose besides the filter fields.
pub const EXTRA_FIELDS: &[&str] = &["seq", "id"];

/// Statements of a store matching a filter, in `seq` order, after `after_seq`, without voided
/// ones; `fields` are `seq`, `id` or filter paths (times are epoch microseconds).
#[derive(Debug, Clone)]
pub struct StatementsQuery {
    pub store: StoreId,
    pub filter: Option<Filter>,
    pub fields: Vec<String>,
    pub after_seq: u64,
    pub limit: Option<u64>,
}

impl StatementsQuery {
    /// Parses `{"filter", "fields"}` (paging is the caller's).
    pub fn parse(store: StoreId, json: &Json) -> Result<StatementsQuery, RequestError> {
        let obj = json
            .as_object()
            .ok_or_else(|| RequestError::new("", "expected an object"))?;
        if let Some(key) = obj
            .keys()
            .find(|k| !matches!(k.as_str(), "filter" | "fields"))
        {
            return Err(RequestError::new(format!("/{key}"), "unknown field"));
        }
        let filter = obj.get("filter").map(Filter::parse).transpose()?;
        let fields = match obj.get("fields") {
            None => Vec::new(),
            Some(Json::Array(items)) if items.len() <= 64 => items
                .iter()
                .enumerate()
                .map(|(i, f)| match f.as_str() {
                    Some(p)
                        if EXTRA_FIELDS.contains(&p)
                            || cairn_filter::FIELDS.iter().any(|f| f.path == p) =>
                    {
                        Ok(p.to_string())
                    }
                    // An extension path: its value's text.
                    Some(p) => match cairn_filter::FieldRef::parse(p) {
                        Ok(_) => Ok(p.to_string()),
                        Err(e) => Err(RequestError::new(format!("/fields/{i}"), e)),
                    },
                    _ => Err(RequestError::new(format!("/fields/{i}"), "unknown field")),
                })
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(RequestError::new(
                    "/fields",
                    "expected up to 64 field names",
                ));
            }
        };
        Ok(StatementsQuery {
            store,
            filter,
            fields,
            after_seq: 0,
            limit: None,
        })
    }
}

/// Chunks of an export, through a bounded channel: the producer waits for the reader.
pub type ByteStream = tokio::sync::mpsc::Receiver<Result<bytes::Bytes, ProjectionError>>;

/// An invalid request: what is wrong and where (a JSON pointer into the request).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{pointer}: {message}")]
pub struct RequestError {
    pub pointer: String,
    pub message: String,
}

impl RequestError {
    fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        RequestError {
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

impl From<FilterError> for RequestError {
    fn from(e: FilterError) -> Self {
        RequestError::new(format!("/filter{}", e.pointer), e.message)
    }
}

/// Errors of the analytics port.
#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    /// The request cannot be served as asked (e.g. `source: aggregate` for a request that does
    /// not fit the aggregates).
    #[error(transparent)]
    Invalid(#[from] RequestError),
    #[error(transparent)]
    Projection(#[from] ProjectionError),
}

impl From<AnalyticsError> for crate::Error {
    fn from(e: AnalyticsError) -> Self {
        match e {
            AnalyticsError::Invalid(r) => crate::Error::BadRequest(r.to_string()),
            AnalyticsError::Projection(p) => p.into(),
        }
    }
}

/// The analytics port.
#[async_trait::async_trait]
pub trait Analytics: Send + Sync + 'static {
    async fn aggregate(&self, q: &AggregateQuery) -> Result<AggregateResult, AnalyticsError>;
    /// Streams the statements matching `q` in `format`.
    async fn export(
        &self,
        q: &StatementsQuery,
        format: ExportFormat,
    ) -> Result<ByteStream, AnalyticsError>;
    /// The most frequent values of a string field (a filter path) starting with `prefix`.
    async fn values(
        &self,
        store: StoreId,
        path: &str,
        prefix: &str,
        limit: u64,
    ) -> Result<Vec<ValueCount>, AnalyticsError>;
}

pub const MAX_LIMIT: u64 = 10_000;

impl AggregateQuery {
    /// Parses `{"filter", "from", "to", "group_by", "measures", "tz", "source", "limit"}`.
    pub fn parse(store: StoreId, json: &Json) -> Result<AggregateQuery, RequestError> {
        let obj = json
            .as_object()
            .ok_or_else(|| RequestError::new("", "expected an object"))?;
        for key in obj.keys() {
            if !matches!(
                key.as_str(),
                "filter" | "from" | "to" | "group_by" | "measures" | "tz" | "source" | "limit"
            ) {
                return Err(RequestError::new(format!("/{key}"), "unknown field"));
            }
        }
        let filter = obj.get("filter").map(Filter::parse).transpose()?;
        let tz = match obj.get("tz") {
            None => "UTC".to_string(),
            Some(Json::String(s)) if jiff::tz::TimeZone::get(s).is_ok() => s.clone(),
            Some(_) => return Err(RequestError::new("/tz", "expected an IANA time zone")),
        };
        let time = |key: &str| -> Result<Option<i64>, RequestError> {
            match obj.get(key) {
                None => Ok(None),
                Some(Json::String(s)) => s
                    .parse::<jiff::Timestamp>()
                    .map(|t| Some(t.as_microsecond()))
                    .map_err(|_| RequestError::new(format!("/{key}"), "expected RFC 3339")),
                Some(_) => Err(RequestError::new(format!("/{key}"), "expected RFC 3339")),
            }
        };
        let group_by = match obj.get("group_by") {
            None => Vec::new(),
            Some(Json::Array(items)) if items.len() <= 2 => items
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    dimension(d).ok_or_else(|| {
                        RequestError::new(format!("/group_by/{i}"), why(d, "unknown dimension"))
                    })
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
        Ok(AggregateQuery {
            store,
            filter,
            from_us: time("from")?,
            to_us: time("to")?,
            group_by,
            measures,
            tz,
            source,
            limit,
        })
    }
}

/// Why `{"…": PATH}` was refused: the path's own error (an unknown field, an extension whose IRI
/// is not absolute), else `fallback`.
fn why(node: &Json, fallback: &str) -> String {
    node.as_object()
        .filter(|o| o.len() == 1 && !o.contains_key("time"))
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
}
