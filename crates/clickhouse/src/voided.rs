//! Voided statements in the analytics projection (`voided` and `actor_hours`,
//! `schema/0007_voided.sql`), and how the aggregate plans leave them out.
//!
//! The projector hands each batch's retractions (`cairn_core::voiding`) to
//! [`ClickHouseProjection::retract`], which copies the voided statements' `stored`, UTC `hour`
//! and `actor_ifi` from `statements` into `voided`, keyed by the seq of the batch that voided
//! them (`at_seq`), so `discard_after` and a replay keep it exact like every seq-keyed table.
//!
//! The raw plan applies the definition itself ([`NOT_VOIDED_RAW`]). The hourly aggregates cannot
//! forget a statement, and their minima, maxima and distinct actors cannot be subtracted from,
//! so the aggregate plan, when the store has voided statements in the range ([`in_range`]),
//! reads the union of
//!
//! - [`clean_cells`]: the aggregate rows whose (hour, actor) holds no voided statement (a cheap
//!   test per row: `hour` and a hash of `actor_ifi`, against a set as small as the voids), and
//! - [`recomputed_cells`]: the statements of those few (hour, actor) blocks, minus the voided
//!   ones, aggregated into the same states by the view's own expressions. They are read from
//!   `actor_hours`, a copy of the columns the view aggregates ordered by (store, hour, actor
//!   hash), where a block is contiguous: a primary-key lookup of a granule or two (256 rows).
//!
//! Both sides partition on the same (hour, hash) predicate, so a hash collision only moves a
//! block to the recomputed side: the answer stays exact. The cost is a hash per aggregate row in
//! the range plus a small lookup per voided statement; `statements` is not read.
use crate::{ClickHouseProjection, err};
use cairn_core::analytics::{AggregateQuery, AnalyticsError};
use cairn_core::{ProjectionError, Retraction, StoreId};
use cairn_filter::Param;

/// On `statements`: the statement is not voided, i.e. it is a voiding statement or no voiding
/// statement of its store names it (xAPI's definition; binds the store).
pub const NOT_VOIDED_RAW: &str = "(voids != '' OR statement_id NOT IN \
     (SELECT voided_id FROM voids WHERE store = toUUID(?)))";

/// The `INSERT … SELECT` recording `retractions`, all of `store`. Sequence numbers are inlined
/// (18.16 rejects a bound array on the right of `IN`); there is nothing else to bind.
pub fn retract_sql(store: StoreId, retractions: &[Retraction]) -> String {
    let list = |f: fn(&Retraction) -> u64| {
        retractions
            .iter()
            .map(|r| f(r).to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (seqs, ats) = (list(|r| r.seq), list(|r| r.at));
    format!(
        "INSERT INTO voided (store, seq, at_seq, stored, hour, actor_ifi) \
         SELECT store, seq, transform(seq, [{seqs}], [{ats}], toUInt64(0)), stored, \
         toStartOfHour(timestamp, 'UTC'), actor_ifi FROM statements \
         WHERE store = toUUID('{}') AND seq IN ({seqs})",
        store.0
    )
}

/// `SELECT count()` of the store's voided statements whose timestamp falls in the request's
/// range (whole hours on the aggregate plan), with its parameters.
pub fn in_range_sql(q: &AggregateQuery) -> (String, Vec<Param>) {
    let mut sql = "SELECT count() FROM voided WHERE store = toUUID(?)".to_string();
    let mut params = vec![Param::Str(q.store.0.to_string())];
    range(q, &mut sql, &mut params);
    (sql, params)
}

fn range(q: &AggregateQuery, sql: &mut String, params: &mut Vec<Param>) {
    for (t, cond) in [
        (q.from_us, " AND hour >= toDateTime(?)"),
        (q.to_us, " AND hour < toDateTime(?)"),
    ] {
        if let Some(t) = t {
            sql.push_str(cond);
            params.push(Param::I64(t.div_euclid(1_000_000)));
        }
    }
}

/// Whether the store has voided statements in the request's range.
pub async fn in_range(
    p: &ClickHouseProjection,
    q: &AggregateQuery,
) -> Result<bool, AnalyticsError> {
    let (sql, params) = in_range_sql(q);
    let n: u64 = crate::filter::query_off_runtime(p.analytics_client(), sql, params)
        .await
        .fetch_one()
        .await
        .map_err(err("voided in range"))?;
    Ok(n > 0)
}

/// The aggregate rows (`columns` of `statements_hourly`, after `join`: the persona mapping or
/// nothing) meeting `conds` whose (hour, actor) holds no voided statement.
pub fn clean_cells(
    columns: &[&str],
    join: &str,
    conds: &[String],
    store: StoreId,
    params: &mut Vec<Param>,
) -> String {
    params.push(Param::Str(store.0.to_string()));
    format!(
        "SELECT {} FROM statements_hourly{join} WHERE {} AND (hour, cityHash64(actor_ifi)) NOT IN \
         (SELECT hour, cityHash64(actor_ifi) FROM voided WHERE store = toUUID(?))",
        columns.join(", "),
        conds.join(" AND ")
    )
}

/// The same `columns` recomputed from the statements (in `actor_hours`) meeting `conds` of the
/// (hour, actor) blocks that hold a voided statement, leaving the voided ones out.
pub fn recomputed_cells(
    columns: &[&str],
    join: &str,
    conds: &[String],
    store: StoreId,
    params: &mut Vec<Param>,
) -> String {
    let states = crate::hourly::states();
    let mut exprs = Vec::new();
    let mut keys = Vec::new();
    for &c in columns {
        match states.iter().find(|(_, name)| *name == c) {
            Some((expr, name)) => exprs.push(format!("{expr} AS {name}")),
            None => {
                exprs.push(c.to_string());
                keys.push(c);
            }
        }
    }
    let store = Param::Str(store.0.to_string());
    params.extend([store.clone(), store]);
    format!(
        "SELECT {} FROM actor_hours{join} WHERE {} AND (hour, actor) IN \
         (SELECT hour, cityHash64(actor_ifi) FROM voided WHERE store = toUUID(?)) \
         AND seq NOT IN (SELECT seq FROM voided WHERE store = toUUID(?)) GROUP BY {}",
        exprs.join(", "),
        conds.join(" AND "),
        keys.join(", ")
    )
}

impl ClickHouseProjection {
    /// Records retractions (see the module doc); their statements must be inserted already.
    pub async fn retract(&self, retractions: &[Retraction]) -> Result<(), ProjectionError> {
        let mut rest: Vec<Retraction> = retractions.to_vec();
        rest.sort();
        for chunk in rest.chunk_by(|a, b| a.store == b.store) {
            self.writer()
                .query(&retract_sql(chunk[0].store, chunk))
                .execute()
                .await
                .map_err(err("retract"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn retractions_are_inlined_per_store() {
        let store = StoreId(Uuid::from_u128(7));
        let r = |seq, at| Retraction { store, seq, at };
        let sql = retract_sql(store, &[r(4, 20), r(9, 9)]);
        assert!(
            sql.contains("transform(seq, [4, 9], [20, 9], toUInt64(0))"),
            "{sql}"
        );
        assert!(sql.ends_with("AND seq IN (4, 9)"), "{sql}");
        assert!(!sql.contains('?'));
    }
}
