use super::*;
use serde_json::json;

const S: StoreId = StoreId::DEFAULT;

fn us(s: &str) -> i64 {
    s.parse::<jiff::Timestamp>().unwrap().as_microsecond()
}

fn ctx(range: TimeRange, tz: &str, filters: Vec<Json>) -> PlanContext {
    PlanContext {
        store: S,
        time_range: range,
        tz: tz.into(),
        filters,
        now_us: us("2026-03-15T10:30:00Z"),
        limits: AnalyticsLimits::default(),
    }
}

#[test]
fn presets_cover_whole_days_in_the_time_zone() {
    let now = us("2026-03-15T10:30:00Z");
    let r = |p, tz| resolve_range(&TimeRange::Preset(p), tz, now).unwrap();
    assert_eq!(
        r(Preset::Today, "UTC"),
        (us("2026-03-15T00:00:00Z"), us("2026-03-16T00:00:00Z"))
    );
    // 10:30 UTC is already the 15th in Tokyo (UTC+9): its day starts at 15:00 UTC the day before.
    assert_eq!(
        r(Preset::Today, "Asia/Tokyo"),
        (us("2026-03-14T15:00:00Z"), us("2026-03-15T15:00:00Z"))
    );
    assert_eq!(r(Preset::Days7, "UTC").0, us("2026-03-09T00:00:00Z"));
    assert_eq!(r(Preset::Days30, "UTC").0, us("2026-02-14T00:00:00Z"));
    assert_eq!(r(Preset::Months6, "UTC").0, us("2025-09-15T00:00:00Z"));
    assert_eq!(r(Preset::Year1, "UTC").0, us("2025-03-15T00:00:00Z"));
    assert_eq!(r(Preset::Years2, "UTC").0, us("2024-03-15T00:00:00Z"));
    // Across the spring change in Paris (29 March) a day is still a calendar day.
    let paris = resolve_range(
        &TimeRange::Preset(Preset::Days7),
        "Europe/Paris",
        us("2026-03-31T12:00:00Z"),
    )
    .unwrap();
    assert_eq!(
        paris,
        (us("2026-03-24T23:00:00Z"), us("2026-03-31T22:00:00Z"))
    );
    let fixed = TimeRange::Between {
        from_us: 1,
        to_us: 2,
    };
    assert_eq!(resolve_range(&fixed, "UTC", now).unwrap(), (1, 2));
}

#[test]
fn aggregate_plans_and_filters_and_time() {
    let dash = json!({"field": "verb", "eq": "http://v/a"});
    let c = ctx(
        TimeRange::Preset(Preset::Today),
        "Europe/Paris",
        vec![dash.clone()],
    );
    let q = json!({"kind": "aggregate", "filter": {"field": "result.success", "eq": true},
                   "group_by": [{"time": "hour"}], "measures": ["count"]});
    let req = DataRequest {
        filter: Some(json!({"field": "object.id", "eq": "http://a/1"})),
        ..Default::default()
    };
    let WidgetPlan::Aggregate(a) = plan(&c, &q, &req).unwrap() else {
        panic!("aggregate")
    };
    assert_eq!(a.tz, "Europe/Paris");
    assert_eq!(a.from_us, Some(us("2026-03-14T23:00:00Z")));
    assert_eq!(a.to_us, Some(us("2026-03-15T23:00:00Z")));
    let expected = cairn_filter::Filter::parse(&json!({"and": [
        dash, {"field": "result.success", "eq": true}, {"field": "object.id", "eq": "http://a/1"}]})).unwrap();
    assert_eq!(a.filter, Some(expected));
    // The request's from/to/tz win over the dashboard's.
    let req = DataRequest {
        from: Some("2026-01-01T00:00:00Z".into()),
        to: Some("2026-02-01T00:00:00Z".into()),
        tz: Some("UTC".into()),
        ..Default::default()
    };
    let WidgetPlan::Aggregate(a) = plan(&c, &q, &req).unwrap() else {
        panic!("aggregate")
    };
    assert_eq!(
        (a.from_us, a.to_us, a.tz.as_str()),
        (
            Some(us("2026-01-01T00:00:00Z")),
            Some(us("2026-02-01T00:00:00Z")),
            "UTC"
        )
    );
}

#[test]
fn funnel_plans_take_the_range_the_filters_and_the_step_limit() {
    let dash = json!({"field": "object.id", "eq": "http://a/1"});
    let mut c = ctx(
        TimeRange::Preset(Preset::Today),
        "Europe/Paris",
        vec![dash.clone()],
    );
    let step = |v: &str| json!({"label": v, "filter": {"field": "verb", "eq": v}});
    let q = json!({"kind": "funnel", "filter": {"field": "result.success", "eq": true},
                   "steps": [step("http://v/a"), step("http://v/b")], "by": "persona"});
    let WidgetPlan::Funnel { query, labels } = plan(&c, &q, &DataRequest::default()).unwrap()
    else {
        panic!("funnel")
    };
    assert_eq!(labels, ["http://v/a", "http://v/b"]);
    assert_eq!(query.by, crate::analytics::FunnelBy::Persona);
    assert_eq!(
        (query.from_us, query.to_us, query.tz.as_str()),
        (
            Some(us("2026-03-14T23:00:00Z")),
            Some(us("2026-03-15T23:00:00Z")),
            "Europe/Paris"
        )
    );
    let expected = cairn_filter::Filter::parse(
        &json!({"and": [dash, {"field": "result.success", "eq": true}]}),
    )
    .unwrap();
    assert_eq!(query.filter, Some(expected));
    assert_eq!(query.steps.len(), 2);
    // More steps than the server's funnel_steps_max: 400 naming the steps.
    c.limits.funnel_steps_max = 2;
    let q = json!({"kind": "funnel", "steps": [step("a"), step("b"), step("c")]});
    let e = plan(&c, &q, &DataRequest::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        Error::BadRequest("/query/steps: expected 2 to 2 steps".into()).to_string()
    );
}

#[test]
fn bad_queries_name_their_node() {
    let c = ctx(TimeRange::default(), "UTC", vec![]);
    let err = |q: Json| {
        plan(&c, &q, &DataRequest::default())
            .unwrap_err()
            .to_string()
    };
    assert!(
        err(json!({"kind": "aggregate", "group_by": ["nope"]})).starts_with("/query/group_by/0")
    );
    assert!(
        err(json!({"kind": "aggregate", "filter": {"field": "nope", "eq": 1}}))
            .starts_with("/query/filter/field")
    );
    assert!(
        err(json!({"kind": "aggregate", "from": "2026-01-01T00:00:00Z"}))
            .starts_with("/query/from")
    );
    assert!(
        err(json!({"kind": "aggregate", "order_by": {"measure": 5}}))
            .starts_with("/query/order_by")
    );
    assert!(err(json!({"kind": "pie"})).starts_with("/query/kind"));
    assert!(err(json!({"kind": "statements", "fields": ["nope"]})).starts_with("/query/fields"));
    assert!(err(json!({"kind": "statements", "page_size": 0})).starts_with("/query/page_size"));
    assert!(err(json!({"kind": "funnel", "steps": [{"label": "a", "filter": {"field": "verb", "eq": "x"}}]})).starts_with("/query/steps"));
    assert!(err(json!({"kind": "funnel", "steps": [{"label": "a", "filter": {"field": "verb", "eq": "x"}}, {"label": 1, "filter": {}}]})).starts_with("/query/steps/1/label"));
    let bad_req = DataRequest {
        filter: Some(json!({"or": 1})),
        ..Default::default()
    };
    assert!(
        plan(&c, &json!({"kind": "aggregate"}), &bad_req)
            .unwrap_err()
            .to_string()
            .starts_with("/filter")
    );
    let funnel = json!({"kind": "funnel", "by": "persona", "steps": [
        {"label": "a", "filter": {"field": "verb", "eq": "x"}}, {"label": "b", "filter": {"field": "verb", "eq": "y"}}]});
    assert!(matches!(
        plan(&c, &funnel, &DataRequest::default()).unwrap(),
        WidgetPlan::Funnel { .. }
    ));
}

#[test]
fn statements_plans_page_within_the_time_range() {
    let c = ctx(
        TimeRange::Between {
            from_us: us("2026-01-01T00:00:00Z"),
            to_us: us("2026-01-02T00:00:00Z"),
        },
        "UTC",
        vec![],
    );
    let q = json!({"kind": "statements", "fields": ["verb"], "page_size": 5});
    let req = DataRequest {
        cursor: Some(42),
        ..Default::default()
    };
    let WidgetPlan::Statements(s) = plan(&c, &q, &req).unwrap() else {
        panic!("statements")
    };
    assert_eq!(s.fields, vec!["seq", "verb"]);
    assert_eq!((s.limit, s.after_seq), (Some(5), 42));
    let expected = cairn_filter::Filter::parse(&json!({"field": "timestamp", "range": {
        "gte": "2026-01-01T00:00:00Z", "lt": "2026-01-02T00:00:00Z"}}))
    .unwrap();
    assert_eq!(s.filter, Some(expected));
}

#[test]
fn and_filters_keeps_one_and_drops_none() {
    assert_eq!(and_filters(vec![]), None);
    assert_eq!(and_filters(vec![json!(1)]), Some(json!(1)));
    assert_eq!(
        and_filters(vec![json!(1), json!(2)]),
        Some(json!({"and": [1, 2]}))
    );
}
