//! Running aggregate plans: the request's rows, the bucket limit, the order by a measure once
//! values are rounded, and the previous period's values attached to each row.
use super::{Plan, plan, plan_previous, uses_aggregates};
use crate::{ClickHouseProjection, err};
use cairn_core::analytics::{
    AggregateQuery, AggregateResult, AggregateRow, Analytics, AnalyticsError, Dimension, Measure,
    RequestError, Source,
};
use std::cmp::Ordering;
use std::collections::HashMap;

#[derive(clickhouse::Row, serde::Deserialize)]
struct Group {
    k0: String,
    k1: String,
    vals: Vec<f64>,
    ns: Vec<u64>,
}

/// Plans and runs a request as of `now_us` (relative filters, time zone offsets): on the
/// aggregates it first asks whether voided statements lie in the range (`voided::in_range`).
/// With `compare`, both periods are read from the same table (the aggregates only when both fit).
pub async fn aggregate(
    p: &ClickHouseProjection,
    q: &AggregateQuery,
    now_us: i64,
) -> Result<AggregateResult, AnalyticsError> {
    let previous = q.previous_period();
    let mut use_view = uses_aggregates(q, now_us)?;
    if let Some(prev) = &previous {
        use_view = uses_aggregates(prev, now_us)? && use_view;
    }
    let source = if use_view {
        Source::Aggregate
    } else {
        Source::Raw
    };
    let q = AggregateQuery {
        source,
        ..q.clone()
    };
    let voided = use_view && crate::voided::in_range(p, &q).await?;
    let plan = plan(&q, now_us, voided)?;
    let groups = fetch(p, &plan).await?;
    check_buckets(&q, &groups)?;
    let mut rows: Vec<(Group, Option<Vec<Option<f64>>>)> =
        groups.into_iter().map(|g| (g, None)).collect();
    if let Some(prev) = previous {
        let prev = AggregateQuery { source, ..prev };
        if rows.is_empty() && q.group_by.is_empty() {
            // A total always has its row when compared (a counter shows both periods).
            let none = Group {
                k0: String::new(),
                k1: String::new(),
                vals: Vec::new(),
                ns: Vec::new(),
            };
            rows.push((none, None));
        }
        if !rows.is_empty() {
            let keys: Vec<(String, String)> = rows
                .iter()
                .map(|(g, _)| (g.k0.clone(), g.k1.clone()))
                .collect();
            let voided = use_view && crate::voided::in_range(p, &prev).await?;
            let plan = plan_previous(&prev, now_us, voided, &keys)?;
            let mut found: HashMap<(String, String), Vec<Option<f64>>> = fetch(p, &plan)
                .await?
                .into_iter()
                .map(|g| ((g.k0.clone(), g.k1.clone()), values(&q, &g)))
                .collect();
            for (g, previous) in &mut rows {
                let key = (g.k0.clone(), g.k1.clone());
                *previous = Some(found.remove(&key).unwrap_or_else(|| empty(&q)));
            }
        }
    }
    let mut rows: Vec<(Group, AggregateRow)> = rows
        .into_iter()
        .map(|(g, previous)| {
            let row = AggregateRow {
                keys: keys(&q, &g),
                values: values(&q, &g),
                previous,
            };
            (g, row)
        })
        .collect();
    if let Some(o) = q.order_by {
        // SQL sorted the unrounded values: sort again once rounded (as both paths answer).
        rows.sort_by(|(a, ra), (b, rb)| {
            let (x, y) = (ra.values[o.measure], rb.values[o.measure]);
            let by_value = match (x, y) {
                (Some(x), Some(y)) if o.desc => y.total_cmp(&x),
                (Some(x), Some(y)) => x.total_cmp(&y),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            };
            by_value.then_with(|| by_keys(&q, a, b))
        });
    }
    Ok(AggregateResult {
        source: plan.source,
        rows: rows.into_iter().map(|(_, r)| r).collect(),
    })
}

async fn fetch(p: &ClickHouseProjection, plan: &Plan) -> Result<Vec<Group>, AnalyticsError> {
    Ok(crate::filter::query_off_runtime(
        p.analytics_client(),
        plan.sql.clone(),
        plan.params.clone(),
    )
    .await
    // The previous period names up to `limit` groups in its SQL.
    .with_setting("max_query_size", "16777216")
    .fetch_all()
    .await
    .map_err(err("aggregate"))?)
}

/// A bucket dimension yields at most `buckets_max` distinct buckets.
fn check_buckets(q: &AggregateQuery, groups: &[Group]) -> Result<(), RequestError> {
    for (i, d) in q.group_by.iter().enumerate() {
        if let Dimension::Bucket { .. } = d {
            let mut seen: Vec<&str> = groups
                .iter()
                .map(|g| if i == 0 { g.k0.as_str() } else { g.k1.as_str() })
                .collect();
            seen.sort_unstable();
            seen.dedup();
            if seen.len() as u64 > q.buckets_max {
                return Err(RequestError::new(
                    format!("/group_by/{i}/bucket/width"),
                    format!(
                        "more than {} buckets: widen them or narrow the range",
                        q.buckets_max
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The keys of a group: bucket indexes become lower bounds (12 significant digits).
fn keys(q: &AggregateQuery, g: &Group) -> Vec<String> {
    [&g.k0, &g.k1]
        .into_iter()
        .zip(&q.group_by)
        .map(|(k, d)| match d {
            Dimension::Bucket { width, origin, .. } => match k.parse::<i64>() {
                Ok(i) => lower_bound(*origin, *width, i),
                Err(_) => String::new(),
            },
            _ => k.clone(),
        })
        .collect()
}

/// `origin + index × width` as text, to 12 significant digits (`0`, `2.5`, `-10`).
pub fn lower_bound(origin: f64, width: f64, index: i64) -> String {
    let x = significant(origin + index as f64 * width);
    format!("{}", if x == 0.0 { 0.0 } else { x })
}

/// Key order: bucket indexes as numbers (no value last), other keys as text.
fn by_keys(q: &AggregateQuery, a: &Group, b: &Group) -> Ordering {
    let mut ord = Ordering::Equal;
    for (i, (x, y)) in [(&a.k0, &b.k0), (&a.k1, &b.k1)].into_iter().enumerate() {
        ord = ord.then_with(|| match q.group_by.get(i) {
            Some(Dimension::Bucket { .. }) => match (x.parse::<i64>(), y.parse::<i64>()) {
                (Ok(x), Ok(y)) => x.cmp(&y),
                (Ok(_), Err(_)) => Ordering::Less,
                (Err(_), Ok(_)) => Ordering::Greater,
                _ => Ordering::Equal,
            },
            _ => x.cmp(y),
        });
    }
    ord
}

/// One value per measure (`None`: an average, minimum or maximum over no values). A group with
/// no values at all (a period without statements) counts 0.
fn values(q: &AggregateQuery, g: &Group) -> Vec<Option<f64>> {
    q.measures
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let (v, n) = (
                g.vals.get(i).copied().unwrap_or(0.0),
                g.ns.get(i).copied().unwrap_or(match m {
                    Measure::Avg(_) | Measure::Min(_) | Measure::Max(_) => 0,
                    _ => 1,
                }),
            );
            match m {
                _ if n == 0 => None,
                Measure::Avg(_) => Some(significant(v / n as f64)),
                Measure::Sum(_) => Some(significant(v)),
                _ => Some(v),
            }
        })
        .collect()
}

/// The values of a group without statements.
fn empty(q: &AggregateQuery) -> Vec<Option<f64>> {
    let none = Group {
        k0: String::new(),
        k1: String::new(),
        vals: Vec::new(),
        ns: Vec::new(),
    };
    values(q, &none)
}

/// `x` to 12 significant digits. A floating-point sum depends on the order of its terms, which
/// differs between the raw table and the merged aggregates (and between merges) in the last
/// bits; 12 digits are far more than any score or duration carries, and identical both ways.
pub fn significant(x: f64) -> f64 {
    format!("{x:.11e}").parse().unwrap_or(x)
}

#[async_trait::async_trait]
impl Analytics for ClickHouseProjection {
    async fn aggregate(&self, q: &AggregateQuery) -> Result<AggregateResult, AnalyticsError> {
        aggregate(self, q, jiff::Timestamp::now().as_microsecond()).await
    }

    async fn export(
        &self,
        q: &cairn_core::analytics::StatementsQuery,
        format: cairn_core::analytics::ExportFormat,
    ) -> Result<cairn_core::analytics::ByteStream, AnalyticsError> {
        Ok(ClickHouseProjection::export(self, q, format).await?)
    }

    async fn values(
        &self,
        store: cairn_core::StoreId,
        path: &str,
        prefix: &str,
        limit: u64,
    ) -> Result<Vec<cairn_core::analytics::ValueCount>, AnalyticsError> {
        if path == "persona" {
            return Err(RequestError {
                pointer: "/path".into(),
                message: "personas are found by name: GET /api/v1/stores/{id}/personas?name=…"
                    .into(),
            }
            .into());
        }
        if !crate::values::recorded(path) {
            return Err(RequestError {
                pointer: "/path".into(),
                message: format!(
                    "{path:?} is not a string field, an extension container or an extension path"
                ),
            }
            .into());
        }
        Ok(ClickHouseProjection::values(self, store, path, prefix, limit).await?)
    }

    async fn funnel(
        &self,
        q: &cairn_core::analytics::FunnelQuery,
    ) -> Result<cairn_core::analytics::FunnelResult, AnalyticsError> {
        crate::funnel::funnel(self, q, jiff::Timestamp::now().as_microsecond()).await
    }
}

#[cfg(test)]
mod tests {
    use super::{lower_bound, significant};

    #[test]
    fn twelve_significant_digits_hide_summation_order() {
        assert_eq!(
            significant(5.7333333333333325),
            significant(5.733333333333333)
        );
        assert_eq!(
            significant(13.166666666666664),
            significant(13.166666666666668)
        );
        assert_eq!(significant(0.1 + 0.2), 0.3);
        assert_eq!(significant(-2.5e300), -2.5e300);
        assert_eq!(significant(0.0), 0.0);
    }

    #[test]
    fn bucket_lower_bounds_read_as_numbers() {
        assert_eq!(lower_bound(0.0, 10.0, 3), "30");
        assert_eq!(lower_bound(0.0, 0.1, 3), "0.3");
        assert_eq!(lower_bound(-0.25, 0.5, -1), "-0.75");
        assert_eq!(lower_bound(5.0, 5.0, -1), "0");
        assert_eq!(lower_bound(0.0, 2.5, -2), "-5");
    }
}
