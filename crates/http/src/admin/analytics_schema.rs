//! Typed OpenAPI schemas of the analytics requests (the web app generates its TypeScript from
//! them). They document what `cairn_core::analytics` parses; handlers still parse the JSON with
//! the core parsers, whose errors point at the offending node. A test runs examples through both.
#![allow(dead_code)] // the fields are read by serde and utoipa only
use serde::Deserialize;
use utoipa::ToSchema;

/// A dimension of `group_by`.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Dimension {
    Named(NamedDimension),
    /// Buckets of the statement's timestamp, in `tz`.
    Time {
        time: TimeBucket,
    },
    /// Any filter field but times, or an extension path, grouped by its text (`""` when absent).
    Path {
        path: String,
    },
    /// Numeric buckets (histograms); raw table only.
    Bucket {
        bucket: Bucket,
    },
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NamedDimension {
    Verb,
    Activity,
    ActivityType,
    Actor,
    Persona,
    Registration,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimeBucket {
    Hour,
    Day,
    Week,
    Month,
    Weekday,
    HourOfDay,
}

/// `[origin + k·width, origin + (k+1)·width)`, keyed by the lower bound as text (`""` when the
/// statement has no number there). At most `aggregate_buckets_max` buckets.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Bucket {
    /// A numeric field (`result.score.scaled|raw|min|max`, `result.duration_ms`,
    /// `result.success`, `result.completion`) or an extension path.
    pub path: String,
    /// Greater than 0.
    pub width: f64,
    /// Default 0.
    pub origin: Option<f64>,
}

/// A measure.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Measure {
    Named(NamedMeasure),
    /// Sum of a numeric field or an extension's numeric values.
    Sum {
        sum: String,
    },
    Avg {
        avg: String,
    },
    Min {
        min: String,
    },
    Max {
        max: String,
    },
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NamedMeasure {
    Count,
    UniqueActors,
    UniquePersonas,
    Successes,
    Completions,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceChoice {
    Auto,
    Raw,
    Aggregate,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Desc,
    Asc,
}

/// Order the rows by a measure (ties broken by the keys; nulls last), e.g. with `limit` for the
/// top N.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderBy {
    /// Index into `measures`.
    pub measure: u32,
    /// Default `desc`.
    pub dir: Option<Direction>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Compare {
    /// `[from - (to - from), from)`; needs `from` and `to`.
    PreviousPeriod,
}

/// `POST /api/v1/stores/{id}/aggregate`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AggregateRequest {
    /// A filter-language node (`and` / `or` / `not` / a condition); see docs/api.md.
    #[schema(value_type = Option<Object>)]
    pub filter: Option<serde_json::Value>,
    /// RFC 3339; statements with a timestamp in `[from, to)`.
    pub from: Option<String>,
    pub to: Option<String>,
    /// Up to two dimensions.
    pub group_by: Option<Vec<Dimension>>,
    /// 1 to 16 measures (default `["count"]`).
    pub measures: Option<Vec<Measure>>,
    /// IANA time zone of the time buckets (default UTC).
    pub tz: Option<String>,
    pub source: Option<SourceChoice>,
    /// 1 to 10000 rows (default 1000).
    pub limit: Option<u64>,
    pub order_by: Option<OrderBy>,
    pub compare: Option<Compare>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FunnelBy {
    Actor,
    Persona,
}

/// `POST /api/v1/stores/{id}/funnel`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FunnelRequest {
    /// A filter-language node applied to every step.
    #[schema(value_type = Option<Object>)]
    pub filter: Option<serde_json::Value>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub tz: Option<String>,
    /// 2 to `funnel_steps_max` (default 8) filter-language nodes, in order.
    #[schema(value_type = Vec<Object>)]
    pub steps: Vec<serde_json::Value>,
    /// Default `actor`.
    pub by: Option<FunnelBy>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use cairn_core::StoreId;
    use cairn_core::analytics::{AggregateQuery, AnalyticsLimits, FunnelQuery};
    use serde_json::json;

    #[test]
    fn examples_fit_both_the_schema_and_the_parser() {
        let store = StoreId(uuid::Uuid::nil());
        let aggregates = [
            json!({}),
            json!({"filter": {"field": "verb", "eq": "http://v"}, "from": "2025-01-01T00:00:00Z",
                "to": "2025-02-01T00:00:00Z", "group_by": [{"time": "hour_of_day"}, "activity_type"],
                "measures": ["count", "unique_personas", {"avg": "result.score.scaled"},
                    {"sum": "result.duration_ms"}, {"min": "result.score.raw"}, {"max": "result.score.raw"}],
                "tz": "Europe/Paris", "source": "aggregate", "limit": 10,
                "order_by": {"measure": 2, "dir": "asc"}, "compare": "previous_period"}),
            json!({"group_by": [{"bucket": {"path": "result.extensions.http://x/p", "width": 2.5,
                "origin": -1}}, {"path": "context.platform"}], "order_by": {"measure": 0}}),
            json!({"group_by": ["verb", "persona"], "source": "raw"}),
        ];
        for a in &aggregates {
            serde_json::from_value::<AggregateRequest>(a.clone())
                .unwrap_or_else(|e| panic!("{a}: {e}"));
            AggregateQuery::parse(store, a).unwrap_or_else(|e| panic!("{a}: {e}"));
        }
        // Shapes outside the schema are refused by the parser too.
        for bad in [
            json!({"group_by": [{"bucket": {"path": "result.score.raw", "width": 1, "step": 1}}]}),
            json!({"order_by": {"measure": 0, "by": "x"}}),
            json!({"measures": ["median"]}),
            json!({"compare": "year"}),
            json!({"source": "cache"}),
            json!({"group_by": [{"time": "minute"}]}),
        ] {
            assert!(
                serde_json::from_value::<AggregateRequest>(bad.clone()).is_err(),
                "{bad}"
            );
            assert!(AggregateQuery::parse(store, &bad).is_err(), "{bad}");
        }
        let step = json!({"field": "verb", "eq": "http://v"});
        let funnels = [
            json!({"steps": [step, step]}),
            json!({"steps": [step, step, step], "by": "persona", "filter": step,
                "from": "2025-01-01T00:00:00Z", "to": "2025-02-01T00:00:00Z", "tz": "UTC"}),
        ];
        for f in &funnels {
            serde_json::from_value::<FunnelRequest>(f.clone())
                .unwrap_or_else(|e| panic!("{f}: {e}"));
            FunnelQuery::parse(store, f, &AnalyticsLimits::default())
                .unwrap_or_else(|e| panic!("{f}: {e}"));
        }
        let bad = json!({"steps": [step, step], "by": "group"});
        assert!(serde_json::from_value::<FunnelRequest>(bad.clone()).is_err());
        assert!(FunnelQuery::parse(store, &bad, &AnalyticsLimits::default()).is_err());
    }
}
