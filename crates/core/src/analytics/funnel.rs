//! Funnels: how many actors (or personas) have a statement matching step 1, then one matching
//! step 2 at or after it, and so on. "After" is the statement order: timestamp, then stored
//! order for equal timestamps; each step needs a statement of its own (one statement matching
//! two steps counts for one of them). Steps are filters; the request's filter and time range
//! apply to every step.
use super::{AnalyticsLimits, Common, RequestError, common};
use crate::ids::StoreId;
use cairn_filter::Filter;
use serde_json::Value as Json;

/// Who goes through the funnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunnelBy {
    /// The statement's actor (its identifier).
    Actor,
    /// The actor's persona (identifiers no persona holds are their own).
    Persona,
}

/// A validated funnel request.
#[derive(Debug, Clone)]
pub struct FunnelQuery {
    pub store: StoreId,
    pub filter: Option<Filter>,
    /// Statement timestamps in `[from_us, to_us)`, epoch microseconds.
    pub from_us: Option<i64>,
    pub to_us: Option<i64>,
    /// IANA time zone (of relative times; accepted for symmetry with the aggregates).
    pub tz: String,
    pub steps: Vec<Filter>,
    pub by: FunnelBy,
}

/// How many reached each step (as many counts as steps, never increasing), and which table
/// served them.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FunnelResult {
    pub steps: Vec<u64>,
    pub source: &'static str,
}

impl FunnelQuery {
    /// Parses `{"filter", "from", "to", "tz", "steps": [filter, …], "by": "actor" | "persona"}`:
    /// 2 to `limits.funnel_steps_max` steps.
    pub fn parse(
        store: StoreId,
        json: &Json,
        limits: &AnalyticsLimits,
    ) -> Result<FunnelQuery, RequestError> {
        let Common {
            obj,
            filter,
            tz,
            from_us,
            to_us,
        } = common(
            json,
            &["filter", "from", "to", "tz", "steps", "by"],
            &limits.filter,
        )?;
        let max = limits.funnel_steps_max.max(2);
        let steps = match obj.get("steps") {
            Some(Json::Array(items)) if (2..=max).contains(&items.len()) => items
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    Filter::parse_within(f, &limits.filter).map_err(|e| {
                        RequestError::new(format!("/steps/{i}{}", e.pointer), e.message)
                    })
                })
                .collect::<Result<_, _>>()?,
            _ => {
                return Err(RequestError::new(
                    "/steps",
                    format!("expected 2 to {max} filters"),
                ));
            }
        };
        let by = match obj.get("by").map(|b| b.as_str()) {
            None | Some(Some("actor")) => FunnelBy::Actor,
            Some(Some("persona")) => FunnelBy::Persona,
            Some(_) => return Err(RequestError::new("/by", "expected actor or persona")),
        };
        Ok(FunnelQuery {
            store,
            filter,
            from_us,
            to_us,
            tz,
            steps,
            by,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(j: Json) -> Result<FunnelQuery, RequestError> {
        FunnelQuery::parse(StoreId(uuid::Uuid::nil()), &j, &AnalyticsLimits::default())
    }

    #[test]
    fn parses_steps_and_defaults() {
        let q = parse(json!({"steps": [{"field": "verb", "eq": "http://v/1"},
            {"field": "verb", "eq": "http://v/2"}], "from": "2025-01-01T00:00:00Z"}))
        .unwrap();
        assert_eq!(
            (q.steps.len(), q.by, q.tz.as_str()),
            (2, FunnelBy::Actor, "UTC")
        );
        assert_eq!(q.from_us, Some(1_735_689_600_000_000));
        let q = parse(
            json!({"steps": [{"field": "verb", "eq": "a"}, {"field": "verb", "eq": "b"}],
            "by": "persona"}),
        )
        .unwrap();
        assert_eq!(q.by, FunnelBy::Persona);
    }

    #[test]
    fn errors_point_at_the_node() {
        let step = json!({"field": "verb", "eq": "a"});
        let e = |j| parse(j).unwrap_err();
        assert_eq!(e(json!({"steps": [step]})).pointer, "/steps");
        let nine: Vec<Json> = (0..9).map(|_| step.clone()).collect();
        let too_many = e(json!({ "steps": nine }));
        assert_eq!(too_many.pointer, "/steps");
        assert!(too_many.message.contains("2 to 8"), "{too_many}");
        let limits = AnalyticsLimits {
            funnel_steps_max: 9,
            ..AnalyticsLimits::default()
        };
        let store = StoreId(uuid::Uuid::nil());
        assert!(FunnelQuery::parse(store, &json!({ "steps": nine }), &limits).is_ok());
        assert_eq!(
            e(json!({"steps": [step, {"and": [{"field": "nope", "eq": 1}]}]})).pointer,
            "/steps/1/and/0/field"
        );
        assert_eq!(
            e(json!({"steps": [step, step], "by": "group"})).pointer,
            "/by"
        );
        assert_eq!(
            e(json!({"steps": [step, step], "from": "yesterday"})).pointer,
            "/from"
        );
        assert_eq!(e(json!({"steps": [step, step], "x": 1})).pointer, "/x");
        assert_eq!(
            e(json!({"steps": [step, step], "filter": {"field": "nope", "eq": 1}})).pointer,
            "/filter/field"
        );
    }
}
