//! The widget query plan: how a widget's stored query becomes a query the analytics port
//! answers. The time range is the request's `from`/`to` when given, else the dashboard's (a
//! preset resolved in the time zone), the time zone the request's or else the dashboard's, and
//! the filters of the dashboard, the widget, the request and the share link are AND-ed. Pure:
//! the clock is an argument.
use super::filter_ok;
use super::model::{Preset, TimeRange};
use crate::analytics::{AggregateQuery, AnalyticsLimits, FunnelQuery, StatementsQuery};
use crate::error::Error;
use crate::ids::StoreId;
use serde_json::{Value as Json, json};

/// Longest page a statements widget may ask for.
pub const PAGE_SIZE_MAX: u64 = 1000;
/// Statements per page when a statements widget names none.
pub const PAGE_SIZE_DEFAULT: u64 = 50;

/// What the caller of a widget's data may add.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DataRequest {
    pub from: Option<String>,
    pub to: Option<String>,
    pub tz: Option<String>,
    pub filter: Option<Json>,
    /// The `next_cursor` of a statements page.
    pub cursor: Option<u64>,
}

/// What the dashboard (and a share link) impose on every widget.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanContext {
    pub store: StoreId,
    pub time_range: TimeRange,
    pub tz: String,
    /// Filters AND-ed into every query (the dashboard's, a share link's URL filter).
    pub filters: Vec<Json>,
    pub now_us: i64,
    /// The server's analytics limits (buckets, funnel steps).
    pub limits: AnalyticsLimits,
}

/// The query to run for a widget.
#[derive(Debug, Clone)]
pub enum WidgetPlan {
    Aggregate(AggregateQuery),
    /// A page of statements (`limit` and `after_seq` set).
    Statements(StatementsQuery),
    /// A funnel, with the label of each step.
    Funnel {
        query: FunnelQuery,
        labels: Vec<String>,
    },
}

fn bad(pointer: &str, message: impl std::fmt::Display) -> Error {
    Error::BadRequest(format!("{pointer}: {message}"))
}

fn zone(tz: &str, pointer: &str) -> Result<jiff::tz::TimeZone, Error> {
    jiff::tz::TimeZone::get(tz).map_err(|_| bad(pointer, "expected an IANA time zone"))
}

/// `[from, to)` of a time range at `now_us`, in epoch microseconds. A preset covers whole days
/// in `tz`: `today` is today, `7d` today and the 6 days before, `6m` from this day six months
/// ago to the end of today, and so on.
pub fn resolve_range(range: &TimeRange, tz: &str, now_us: i64) -> Result<(i64, i64), Error> {
    let preset = match range {
        TimeRange::Between { from_us, to_us } => return Ok((*from_us, *to_us)),
        TimeRange::Preset(p) => *p,
    };
    let tz = zone(tz, "/tz")?;
    let internal = |e: jiff::Error| Error::BadRequest(format!("time_range: {e}"));
    let now = jiff::Timestamp::from_microsecond(now_us)
        .map_err(internal)?
        .to_zoned(tz);
    let today = now.start_of_day().map_err(internal)?;
    let end = today
        .tomorrow()
        .and_then(|t| t.start_of_day())
        .map_err(internal)?;
    let span = match preset {
        Preset::Today => jiff::Span::new(),
        Preset::Days7 => jiff::Span::new().days(6),
        Preset::Days30 => jiff::Span::new().days(29),
        Preset::Days90 => jiff::Span::new().days(89),
        Preset::Months6 => jiff::Span::new().months(6),
        Preset::Year1 => jiff::Span::new().years(1),
        Preset::Years2 => jiff::Span::new().years(2),
    };
    let from = today.checked_sub(span).map_err(internal)?;
    Ok((
        from.timestamp().as_microsecond(),
        end.timestamp().as_microsecond(),
    ))
}

fn rfc3339(us: i64) -> String {
    jiff::Timestamp::from_microsecond(us)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// ANDs filters (none: no filter; one: itself).
pub fn and_filters(filters: Vec<Json>) -> Option<Json> {
    match filters.len() {
        0 => None,
        1 => filters.into_iter().next(),
        _ => Some(json!({ "and": filters })),
    }
}

fn object(query: &Json) -> Result<&serde_json::Map<String, Json>, Error> {
    query
        .as_object()
        .ok_or_else(|| bad("/query", "expected an object with a kind"))
}

/// The kind of a widget query: `aggregate`, `statements` or `funnel`.
pub fn query_kind(query: &Json) -> Result<&str, Error> {
    match object(query)?.get("kind").and_then(Json::as_str) {
        Some(k @ ("aggregate" | "statements" | "funnel")) => Ok(k),
        _ => Err(bad(
            "/query/kind",
            "expected aggregate, statements or funnel",
        )),
    }
}

fn check_keys(obj: &serde_json::Map<String, Json>, allowed: &[&str]) -> Result<(), Error> {
    for k in obj.keys() {
        if !allowed.contains(&k.as_str()) {
            return Err(bad(&format!("/query/{k}"), "unknown field"));
        }
    }
    Ok(())
}

/// Checks the shape of a funnel query: `{"kind": "funnel", "filter"?, "steps": [{"label",
/// "filter"}, ...], "by"?: "actor" | "persona"}`.
fn funnel_ok(obj: &serde_json::Map<String, Json>, limits: &AnalyticsLimits) -> Result<(), Error> {
    let steps_max = limits.funnel_steps_max.max(2);
    check_keys(obj, &["kind", "filter", "steps", "by"])?;
    if let Some(f) = obj.get("filter") {
        filter_ok(f, &limits.filter, "/query/filter")?;
    }
    let steps = obj
        .get("steps")
        .and_then(Json::as_array)
        .filter(|s| (2..=steps_max).contains(&s.len()))
        .ok_or_else(|| bad("/query/steps", format!("expected 2 to {steps_max} steps")))?;
    for (i, s) in steps.iter().enumerate() {
        let p = format!("/query/steps/{i}");
        let s = s
            .as_object()
            .ok_or_else(|| bad(&p, "expected {\"label\", \"filter\"}"))?;
        for k in s.keys() {
            if k != "label" && k != "filter" {
                return Err(bad(&format!("{p}/{k}"), "unknown field"));
            }
        }
        if !s.get("label").is_some_and(Json::is_string) {
            return Err(bad(&format!("{p}/label"), "expected a string"));
        }
        filter_ok(
            s.get("filter").unwrap_or(&Json::Null),
            &limits.filter,
            &format!("{p}/filter"),
        )?;
    }
    match obj.get("by").map(|b| b.as_str()) {
        None | Some(Some("actor" | "persona")) => Ok(()),
        _ => Err(bad("/query/by", "expected actor or persona")),
    }
}

/// Builds the query for a widget of the dashboard described by `ctx` (also used at save time,
/// with an empty request, to validate the query): `400` naming the bad node of the query.
pub fn plan(ctx: &PlanContext, query: &Json, req: &DataRequest) -> Result<WidgetPlan, Error> {
    let kind = query_kind(query)?;
    let obj = object(query)?;
    if kind == "funnel" {
        funnel_ok(obj, &ctx.limits)?;
    }
    let tz = req.tz.clone().unwrap_or_else(|| ctx.tz.clone());
    zone(&tz, "/tz")?;
    let (mut from, mut to) = resolve_range(&ctx.time_range, &tz, ctx.now_us)?;
    let time = |s: &str, p: &str| {
        s.parse::<jiff::Timestamp>()
            .map(|t| t.as_microsecond())
            .map_err(|_| bad(p, "expected RFC 3339"))
    };
    if let Some(f) = &req.from {
        from = time(f, "/from")?;
    }
    if let Some(t) = &req.to {
        to = time(t, "/to")?;
    }
    if from >= to {
        return Err(bad("/from", "must be before to"));
    }
    if let Some(f) = &req.filter {
        filter_ok(f, &ctx.limits.filter, "/filter")?;
    }
    let mut filters = ctx.filters.clone();
    if let Some(f) = obj.get("filter") {
        filter_ok(f, &ctx.limits.filter, "/query/filter")?;
        filters.push(f.clone());
    }
    filters.extend(req.filter.clone());
    match kind {
        "funnel" => {
            let steps = obj.get("steps").and_then(Json::as_array);
            let steps = steps.map(Vec::as_slice).unwrap_or_default();
            let labels = steps
                .iter()
                .map(|s| s["label"].as_str().unwrap_or_default().to_owned())
                .collect();
            let mut body = serde_json::Map::new();
            body.insert(
                "steps".into(),
                steps.iter().map(|s| s["filter"].clone()).collect(),
            );
            if let Some(by) = obj.get("by") {
                body.insert("by".into(), by.clone());
            }
            body.insert("from".into(), rfc3339(from).into());
            body.insert("to".into(), rfc3339(to).into());
            body.insert("tz".into(), tz.into());
            if let Some(f) = and_filters(filters) {
                body.insert("filter".into(), f);
            }
            FunnelQuery::parse(ctx.store, &Json::Object(body), &ctx.limits)
                .map(|query| WidgetPlan::Funnel { query, labels })
                .map_err(|e| bad(&e.pointer, e.message))
        }
        "aggregate" => {
            for k in ["from", "to", "tz"] {
                if obj.contains_key(k) {
                    return Err(bad(
                        &format!("/query/{k}"),
                        "set by the dashboard's time range and time zone",
                    ));
                }
            }
            let mut body = obj.clone();
            body.remove("kind");
            body.remove("filter");
            // Validate the widget's own part first, so errors point into the query.
            body.insert("from".into(), rfc3339(from).into());
            body.insert("to".into(), rfc3339(to).into());
            body.insert("tz".into(), tz.into());
            let mut own = body.clone();
            if let Some(f) = obj.get("filter") {
                own.insert("filter".into(), f.clone());
            }
            AggregateQuery::parse_with(ctx.store, &Json::Object(own), &ctx.limits)
                .map_err(|e| bad(&format!("/query{}", e.pointer), e.message))?;
            if let Some(f) = and_filters(filters) {
                body.insert("filter".into(), f);
            }
            AggregateQuery::parse_with(ctx.store, &Json::Object(body), &ctx.limits)
                .map(WidgetPlan::Aggregate)
                .map_err(|e| bad(&e.pointer, e.message))
        }
        _ => {
            check_keys(obj, &["kind", "filter", "fields", "page_size"])?;
            let page = match obj.get("page_size") {
                None => PAGE_SIZE_DEFAULT,
                Some(v) => v
                    .as_u64()
                    .filter(|n| (1..=PAGE_SIZE_MAX).contains(n))
                    .ok_or_else(|| {
                        bad("/query/page_size", format!("expected 1 to {PAGE_SIZE_MAX}"))
                    })?,
            };
            let mut own = serde_json::Map::new();
            for k in ["filter", "fields"] {
                if let Some(v) = obj.get(k) {
                    own.insert(k.into(), v.clone());
                }
            }
            StatementsQuery::parse_with(ctx.store, &Json::Object(own.clone()), &ctx.limits)
                .map_err(|e| bad(&format!("/query{}", e.pointer), e.message))?;
            filters.push(
                json!({"field": "timestamp", "range": {"gte": rfc3339(from), "lt": rfc3339(to)}}),
            );
            if let Some(f) = and_filters(filters) {
                own.insert("filter".into(), f);
            }
            let mut q = StatementsQuery::parse_with(ctx.store, &Json::Object(own), &ctx.limits)
                .map_err(|e| bad(&e.pointer, e.message))?;
            if !q.fields.iter().any(|f| f == "seq") {
                q.fields.insert(0, "seq".into());
            }
            q.limit = Some(page);
            q.after_seq = req.cursor.unwrap_or(0);
            Ok(WidgetPlan::Statements(q))
        }
    }
}

/// A time range from its JSON: `{"preset": "30d"}` or `{"from": RFC 3339, "to": RFC 3339}`.
pub fn time_range_from_json(v: &Json) -> Result<TimeRange, Error> {
    let bad = || {
        Error::BadRequest(
            "/time_range: expected {\"preset\": \"today|7d|30d|90d|6m|1y|2y\"} or {\"from\", \"to\"} (RFC 3339)".into(),
        )
    };
    let obj = v.as_object().ok_or_else(bad)?;
    if let Some(p) = obj.get("preset") {
        if obj.len() != 1 {
            return Err(bad());
        }
        return p
            .as_str()
            .and_then(Preset::parse)
            .map(TimeRange::Preset)
            .ok_or_else(bad);
    }
    let time = |k: &str| {
        obj.get(k)
            .and_then(Json::as_str)
            .and_then(|s| s.parse::<jiff::Timestamp>().ok())
            .map(|t| t.as_microsecond())
            .ok_or_else(bad)
    };
    if obj.len() != 2 {
        return Err(bad());
    }
    let (from_us, to_us) = (time("from")?, time("to")?);
    if from_us >= to_us {
        return Err(Error::BadRequest(
            "/time_range: from must be before to".into(),
        ));
    }
    Ok(TimeRange::Between { from_us, to_us })
}

/// A time range as JSON.
pub fn time_range_json(t: &TimeRange) -> Json {
    match t {
        TimeRange::Preset(p) => serde_json::json!({"preset": p.as_str()}),
        TimeRange::Between { from_us, to_us } => serde_json::json!({
            "from": crate::time_fmt::format_us(*from_us),
            "to": crate::time_fmt::format_us(*to_us),
        }),
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
