//! Funnels on the raw table: one SELECT. The statements of the range matching the request's
//! filter and at least one step (voided ones left out) are grouped by actor (or persona), each
//! as its sorted array of `(timestamp_us, seq, mask)` (`mask`: bit k set when the statement
//! matches step k; `groupUniqArray` drops rows a replay left twice). Step k's position is the
//! first element after step k-1's position whose bit k is set (greedy: the earliest match leaves
//! the most room for the next steps, so an actor reaches step k exactly when some chain of
//! distinct statements does); an actor counts at step k when it has one.
//!
//! `windowFunnel` would do this too, but how it treats equal timestamps changed between
//! ClickHouse versions (and 18.16 wants a 32-bit time): arrays give the same answer on both.
use crate::{ClickHouseProjection, err};
use cairn_core::analytics::{AnalyticsError, FunnelBy, FunnelQuery, FunnelResult};
use cairn_filter::Param;

/// "No such position": above every index `arrayEnumerate` gives.
const NONE: &str = "toUInt32(4294967295)";

/// The funnel's SELECT (one row, `steps`: the count per step) and its parameters.
pub fn funnel_sql(q: &FunnelQuery, now_us: i64) -> (String, Vec<Param>) {
    let mut params = Vec::new();
    let persona = q.by == FunnelBy::Persona
        || q.filter.as_ref().is_some_and(crate::persona::filter_uses)
        || q.steps.iter().any(crate::persona::filter_uses);
    let who = match q.by {
        FunnelBy::Actor => "actor_ifi",
        FunnelBy::Persona => crate::persona::EXPR,
    };
    let mut mask = Vec::new();
    for (k, step) in q.steps.iter().enumerate() {
        let sql = step.to_sql(now_us);
        mask.push(format!("if(({}), {}, 0)", sql.clause, 1u64 << k));
        params.extend(sql.params);
    }
    let join = if persona {
        params.push(Param::Str(q.store.0.to_string()));
        crate::persona::JOIN
    } else {
        ""
    };
    let mut conds = vec!["store = toUUID(?)".to_string()];
    params.push(Param::Str(q.store.0.to_string()));
    for (t, cond) in [
        (q.from_us, "timestamp_us >= ?"),
        (q.to_us, "timestamp_us < ?"),
    ] {
        if let Some(t) = t {
            conds.push(cond.into());
            params.push(Param::I64(t));
        }
    }
    if let Some(f) = &q.filter {
        let sql = f.to_sql(now_us);
        conds.push(format!("({})", sql.clause));
        params.extend(sql.params);
    }
    conds.push(crate::voided::NOT_VOIDED_RAW.into());
    params.push(Param::Str(q.store.0.to_string()));
    let mut positions = Vec::new();
    let mut counts = Vec::new();
    for k in 0..q.steps.len() {
        let after = if k == 0 {
            String::new()
        } else {
            format!(" AND i > p{}", k - 1)
        };
        positions.push(format!(
            "arrayReduce('min', arrayPushBack(arrayFilter((i, m) -> bitAnd(m, {}) != 0{after}, \
             ix, masks), {NONE})) AS p{k}",
            1u64 << k
        ));
        counts.push(format!("countIf(p{k} < {NONE})"));
    }
    let sql = format!(
        "SELECT [{}] AS steps FROM (SELECT \
         arrayMap(e -> e.3, arraySort(groupUniqArray((timestamp_us, seq, mask)))) AS masks, \
         arrayEnumerate(masks) AS ix, {} \
         FROM (SELECT {who} AS who, timestamp_us, seq, {} AS mask FROM statements{join} \
         WHERE {}) WHERE mask > 0 GROUP BY who)",
        counts.join(", "),
        positions.join(", "),
        mask.join(" + "),
        conds.join(" AND "),
    );
    (sql, params)
}

#[derive(clickhouse::Row, serde::Deserialize)]
struct Steps {
    steps: Vec<u64>,
}

/// Runs a funnel as of `now_us` (relative times in filters).
pub async fn funnel(
    p: &ClickHouseProjection,
    q: &FunnelQuery,
    now_us: i64,
) -> Result<FunnelResult, AnalyticsError> {
    let (sql, params) = funnel_sql(q, now_us);
    let rows: Vec<Steps> = crate::filter::query_off_runtime(p.analytics_client(), sql, params)
        .await
        .fetch_all()
        .await
        .map_err(err("funnel"))?;
    Ok(FunnelResult {
        steps: rows
            .into_iter()
            .next()
            .map(|r| r.steps)
            .unwrap_or_else(|| vec![0; q.steps.len()]),
        source: "raw",
    })
}
