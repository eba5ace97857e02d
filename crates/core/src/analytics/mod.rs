//! Analytics queries (issue 5): an aggregate request — a filter, a time range, up to two
//! group-by dimensions and a list of measures — parsed and validated from JSON, and the port
//! ([`Analytics`]) that answers it. `cairn-clickhouse` implements the port, from the hourly
//! aggregates when the request fits them and from the raw `statements` table otherwise; both
//! give the same answer. Errors carry a JSON pointer to the offending node.
//!
//! Also here: top-N ordering by a measure, the comparison with the previous period, numeric
//! buckets (histograms), funnels ([`funnel`]) and the names of verbs and activities ([`names`]).
pub mod bodies;
mod funnel;
pub mod names;
mod parse;
pub mod rows;

pub use funnel::{FunnelBy, FunnelQuery, FunnelResult};
pub use parse::MAX_LIMIT;

use crate::ids::StoreId;
use crate::ports::ProjectionError;
use cairn_filter::{FieldRef, Filter, FilterError};
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
    /// Buckets of a numeric field or of an extension's numeric values: `[origin + k·width,
    /// origin + (k+1)·width)`, keyed by the lower bound as text (`''` when the statement has no
    /// number there).
    Bucket {
        field: FieldRef,
        width: f64,
        origin: f64,
    },
}

/// Rows ordered by one measure (an index into [`AggregateQuery::measures`]), ties broken by the
/// keys; `null` values come last in both directions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderBy {
    pub measure: usize,
    pub desc: bool,
}

/// Limits of the analytics requests (settings of the server, with these defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnalyticsLimits {
    /// Distinct buckets a bucket dimension may produce (`aggregate_buckets_max`).
    pub buckets_max: u64,
    /// Steps of a funnel (`funnel_steps_max`).
    pub funnel_steps_max: usize,
    /// Ids of one names request (`names_ids_max`).
    pub names_max: usize,
    /// The size of every filter a request carries (`filter_max_nodes`, `filter_max_values`,
    /// `filter_max_string_bytes`): checked before the filter is parsed.
    pub filter: cairn_filter::Limits,
}

impl Default for AnalyticsLimits {
    fn default() -> Self {
        AnalyticsLimits {
            buckets_max: 1000,
            funnel_steps_max: 8,
            names_max: 200,
            filter: cairn_filter::Limits::default(),
        }
    }
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
    /// Order by a measure instead of by the keys (with `limit`: the top N).
    pub order_by: Option<OrderBy>,
    /// Compare with the previous period (`[from - (to - from), from)`); needs `from` and `to`.
    pub compare: bool,
    /// The most distinct buckets a bucket dimension may produce.
    pub buckets_max: u64,
}

impl AggregateQuery {
    /// The same request over the previous period, `[from - (to - from), from)`, without its
    /// comparison (`None` unless `compare` is set; parsing makes sure `from` and `to` are).
    pub fn previous_period(&self) -> Option<AggregateQuery> {
        let (from, to) = (self.from_us?, self.to_us?);
        self.compare.then(|| AggregateQuery {
            from_us: Some(from - (to - from)),
            to_us: Some(from),
            compare: false,
            ..self.clone()
        })
    }
}

/// One group: its dimension values (as text) and one value per measure (`None` for an average,
/// minimum or maximum over no values).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AggregateRow {
    pub keys: Vec<String>,
    pub values: Vec<Option<f64>>,
    /// With `compare`: the same measures over the previous period (see `docs/api.md`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<Vec<Option<f64>>>,
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

/// Extra columns a statements query may choose besides the filter fields (`statement`: the
/// whole statement).
pub const EXTRA_FIELDS: &[&str] = &["seq", "id", rows::STATEMENT_FIELD];

/// The fields of a statements query that chooses none.
pub const DEFAULT_FIELDS: &[&str] = &["seq", "id", "actor", "verb", "object.id", "timestamp"];

/// Statements of a store matching a filter, in `seq` order (newest first when `descending`),
/// after the cursor `after_seq` (in that order; 0: from the start), without voided ones;
/// `fields` are `seq`, `id`, `statement` or filter paths. Times are ISO 8601 in `tz`, or epoch
/// microseconds without one.
#[derive(Debug, Clone)]
pub struct StatementsQuery {
    pub store: StoreId,
    pub filter: Option<Filter>,
    pub fields: Vec<String>,
    pub after_seq: u64,
    pub limit: Option<u64>,
    pub descending: bool,
    /// IANA time zone of the times written.
    pub tz: Option<String>,
}

impl StatementsQuery {
    /// The chosen fields, or [`DEFAULT_FIELDS`].
    pub fn columns(&self) -> Vec<String> {
        if self.fields.is_empty() {
            DEFAULT_FIELDS.iter().map(|f| f.to_string()).collect()
        } else {
            self.fields.clone()
        }
    }

    /// Parses `{"filter", "fields", "order": "asc" | "desc", "tz"}` (paging is the caller's)
    /// with the default limits.
    pub fn parse(store: StoreId, json: &Json) -> Result<StatementsQuery, RequestError> {
        Self::parse_with(store, json, &AnalyticsLimits::default())
    }

    /// [`StatementsQuery::parse`] with the server's limits (the filter's size).
    pub fn parse_with(
        store: StoreId,
        json: &Json,
        limits: &AnalyticsLimits,
    ) -> Result<StatementsQuery, RequestError> {
        let obj = json
            .as_object()
            .ok_or_else(|| RequestError::new("", "expected an object"))?;
        if let Some(key) = obj
            .keys()
            .find(|k| !matches!(k.as_str(), "filter" | "fields" | "order" | "tz"))
        {
            return Err(RequestError::new(format!("/{key}"), "unknown field"));
        }
        let descending = match obj.get("order") {
            None => false,
            Some(o) if o == "asc" => false,
            Some(o) if o == "desc" => true,
            Some(_) => return Err(RequestError::new("/order", "expected asc or desc")),
        };
        let tz = match obj.get("tz") {
            None => None,
            Some(Json::String(t)) if jiff::tz::TimeZone::get(t).is_ok() => Some(t.clone()),
            Some(_) => {
                return Err(RequestError::new(
                    "/tz",
                    "expected an IANA time zone, e.g. Europe/Paris",
                ));
            }
        };
        let filter = obj
            .get("filter")
            .map(|f| Filter::parse_within(f, &limits.filter))
            .transpose()?;
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
            descending,
            tz,
        })
    }
}

/// Chunks of an export, through a bounded channel: the producer waits for the reader.
pub type ByteStream = tokio::sync::mpsc::Receiver<Result<bytes::Bytes, ProjectionError>>;

/// What every analytics request body shares, read once: an object with only the `allowed`
/// keys, its `filter`, its time zone (default UTC) and `from`/`to` (RFC 3339, as epoch
/// microseconds).
pub(crate) struct Common<'a> {
    pub obj: &'a serde_json::Map<String, Json>,
    pub filter: Option<Filter>,
    pub tz: String,
    pub from_us: Option<i64>,
    pub to_us: Option<i64>,
}

/// The parts every analytics request shares; the filter is bounded by `limits` before it is
/// parsed (`400` naming the bound).
pub(crate) fn common<'a>(
    json: &'a Json,
    allowed: &[&str],
    limits: &cairn_filter::Limits,
) -> Result<Common<'a>, RequestError> {
    let obj = json
        .as_object()
        .ok_or_else(|| RequestError::new("", "expected an object"))?;
    if let Some(key) = obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(RequestError::new(format!("/{key}"), "unknown field"));
    }
    let filter = obj
        .get("filter")
        .map(|f| Filter::parse_within(f, limits))
        .transpose()?;
    let tz = match obj.get("tz") {
        None => "UTC".to_string(),
        Some(Json::String(s)) if jiff::tz::TimeZone::get(s).is_ok() => s.clone(),
        Some(_) => return Err(RequestError::new("/tz", "expected an IANA time zone")),
    };
    let time = |key: &str| -> Result<Option<i64>, RequestError> {
        match obj.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_str()
                .and_then(|s| s.parse::<jiff::Timestamp>().ok())
                .map(|t| Some(t.as_microsecond()))
                .ok_or_else(|| RequestError::new(format!("/{key}"), "expected RFC 3339")),
        }
    };
    Ok(Common {
        obj,
        filter,
        tz,
        from_us: time("from")?,
        to_us: time("to")?,
    })
}

/// An invalid request: what is wrong and where (a JSON pointer into the request).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{pointer}: {message}")]
pub struct RequestError {
    pub pointer: String,
    pub message: String,
}

impl RequestError {
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
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
    /// How many actors (or personas) reached each step of a funnel.
    async fn funnel(&self, q: &FunnelQuery) -> Result<FunnelResult, AnalyticsError>;
}
