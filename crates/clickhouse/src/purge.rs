//! Purges: deleting the rows derived from removed log entries, and rebuilding the aggregates of
//! the hours and months they were in ([`cairn_core::Projection::purge_rows`], then
//! [`cairn_core::Projection::purge_aggregates`] while the projector holds its batches).
//!
//! Rows keyed by `seq` are deleted with `ALTER TABLE … DELETE WHERE seq IN (…)` mutations, in
//! chunks of [`SEQ_CHUNK`] (skipped when no row matches); the aggregate tables cannot subtract,
//! so the rows of each touched `(store, stored hour)` of `statements_hourly` and `(store,
//! month)` of `query_values` are deleted and rebuilt from the remaining `statements` with the
//! views' own SELECTs. Every step is idempotent: a purge interrupted here runs again from the
//! start. A whole store is one `DELETE WHERE store = …` per table. The SQL names sequence
//! numbers and store ids only, never an identifier or a statement's content (the server's query
//! log keeps no trace of what was erased).
use crate::{ClickHouseProjection, err, hourly, values};
use cairn_core::ProjectionError;
use cairn_core::StoreId;
use cairn_core::ports::WriteWindow;
use cairn_core::purge::{PurgePlan, PurgeScope};
use std::collections::BTreeMap;

/// Sequence numbers per `IN` list.
pub const SEQ_CHUNK: usize = 10_000;

/// Every table holding rows of a store.
pub const STORE_TABLES: &[&str] = &[
    "statements",
    "voids",
    "actor_hours",
    "voided",
    "statement_key_index",
    "persona_identifiers",
    "statements_hourly",
    "query_values",
];

/// Tables whose rows belong to one log entry, by their column of its sequence number. (`voids`
/// rows are the voiding statement's; `voided` rows are the voided statement's.)
pub const ENTRY_TABLES: &[(&str, &str)] = &[
    ("statements", "seq"),
    ("voids", "seq"),
    ("actor_hours", "seq"),
    ("voided", "seq"),
    ("statement_key_index", "seq"),
    ("persona_identifiers", "seq"),
];

/// `a, b, c`: sequence numbers or hours, as SQL literals.
fn list(values: &[impl ToString]) -> String {
    values
        .iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// The months (`YYYYMM`) of the hours (epoch seconds, UTC).
pub fn months(hours: &[u32]) -> Vec<u32> {
    let mut out: Vec<u32> = hours
        .iter()
        .filter_map(|h| {
            let t = jiff::Timestamp::from_second(i64::from(*h)).ok()?;
            let d = t.to_zoned(jiff::tz::TimeZone::UTC).date();
            Some(d.year() as u32 * 100 + d.month() as u32)
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

impl ClickHouseProjection {
    /// The rows of `plan`'s entries, or of its whole store (aggregates included: none is left
    /// to rebuild).
    pub(crate) async fn delete_rows(&self, plan: &PurgePlan) -> Result<(), ProjectionError> {
        match &plan.scope {
            PurgeScope::Store(store) => self.purge_store(*store).await,
            PurgeScope::Entries { .. } => self.purge_entries(plan).await,
        }
    }

    /// The aggregates of the hours and months of `plan`'s entries, rebuilt from `statements`;
    /// with a `window` (a database shared by the nodes of a cluster), each write starts only
    /// while it answers, within its time, under the projector's query id
    /// ([`cairn_core::Projection::purge_aggregates_within`]).
    pub(crate) async fn rebuild_aggregates(
        &self,
        plan: &PurgePlan,
        window: Option<&WriteWindow>,
    ) -> Result<(), ProjectionError> {
        if let PurgeScope::Store(_) = plan.scope {
            return Ok(());
        }
        let mut by_store: BTreeMap<StoreId, Vec<u32>> = BTreeMap::new();
        for (store, hour) in &plan.hours {
            by_store.entry(*store).or_default().push(*hour);
        }
        for (store, hours) in by_store {
            self.rebuild_hours(store, &hours, window).await?;
            self.rebuild_months(store, &months(&hours), window).await?;
        }
        Ok(())
    }

    async fn purge_store(&self, store: StoreId) -> Result<(), ProjectionError> {
        for table in STORE_TABLES {
            self.client
                .query(&self.mutation_sql(&format!(
                    "ALTER TABLE {table} DELETE WHERE store = toUUID(?)"
                )))
                .bind(store.0.to_string())
                .execute()
                .await
                .map_err(err("purge: delete a store"))?;
        }
        self.wait_for_mutations().await?;
        for table in STORE_TABLES {
            let count = format!("SELECT count() FROM {table} WHERE store = toUUID(?)");
            self.until_gone(table, || self.count(&count, Some(store)))
                .await?;
        }
        Ok(())
    }

    /// The rows `sql` (a `SELECT count()`, with the store as its one parameter when given)
    /// counts.
    async fn count(&self, sql: &str, store: Option<StoreId>) -> Result<u64, ProjectionError> {
        let mut q = self.client.query(sql);
        if let Some(store) = store {
            q = q.bind(store.0.to_string());
        }
        q.fetch_one().await.map_err(err("purge: count"))
    }

    /// The rows of `table` whose `column` is one of `seqs`.
    async fn count_seqs(
        &self,
        table: &str,
        column: &str,
        seqs: &[u64],
    ) -> Result<u64, ProjectionError> {
        let mut n = 0;
        for chunk in seqs.chunks(SEQ_CHUNK) {
            let cond = format!("{column} IN ({})", list(chunk));
            n += self
                .count(&format!("SELECT count() FROM {table} WHERE {cond}"), None)
                .await?;
        }
        Ok(n)
    }

    /// Deletes the rows of `table` whose `column` is one of `seqs`, when there are any.
    async fn delete_seqs(
        &self,
        table: &str,
        column: &str,
        seqs: &[u64],
    ) -> Result<(), ProjectionError> {
        for chunk in seqs.chunks(SEQ_CHUNK) {
            let cond = format!("{column} IN ({})", list(chunk));
            if self.count_seqs(table, column, chunk).await? > 0 {
                self.client
                    .query(&self.mutation_sql(&format!("ALTER TABLE {table} DELETE WHERE {cond}")))
                    .execute()
                    .await
                    .map_err(err("purge: delete"))?;
            }
        }
        Ok(())
    }

    async fn purge_entries(&self, plan: &PurgePlan) -> Result<(), ProjectionError> {
        for (table, column) in ENTRY_TABLES {
            self.delete_seqs(table, column, &plan.seqs).await?;
        }
        let unvoided: Vec<u64> = plan.unvoid.iter().map(|u| u.seq).collect();
        self.delete_seqs("voided", "seq", &unvoided).await?;
        self.wait_for_mutations().await?;
        // On a cluster, the rows checked gone before the aggregates are rebuilt from
        // `statements` (see `until_gone`): else a rebuild could count an erased statement.
        for (table, column) in ENTRY_TABLES {
            self.until_gone(table, || self.count_seqs(table, column, &plan.seqs))
                .await?;
        }
        self.until_gone("voided", || self.count_seqs("voided", "seq", &unvoided))
            .await
    }

    /// Rebuilds `statements_hourly` for these `stored` hours of `store` from `statements`.
    async fn rebuild_hours(
        &self,
        store: StoreId,
        hours: &[u32],
        window: Option<&WriteWindow>,
    ) -> Result<(), ProjectionError> {
        for chunk in hours.chunks(SEQ_CHUNK) {
            let hours = list(chunk);
            self.replace_rows(
                store,
                "hours",
                &format!(
                    "ALTER TABLE statements_hourly DELETE WHERE store = toUUID(?) \
                     AND toUInt32(stored_hour) IN ({hours})"
                ),
                &format!(
                    "INSERT INTO statements_hourly SELECT {} FROM statements \
                     WHERE store = toUUID(?) AND toUInt32(toStartOfHour(stored, 'UTC')) IN ({hours}) {}",
                    hourly::STATE_COLUMNS,
                    hourly::GROUP_BY
                ),
                window,
            )
            .await?;
        }
        Ok(())
    }

    /// Rebuilds `query_values` for these months (`YYYYMM`) of `store` from `statements`.
    async fn rebuild_months(
        &self,
        store: StoreId,
        months: &[u32],
        window: Option<&WriteWindow>,
    ) -> Result<(), ProjectionError> {
        if months.is_empty() {
            return Ok(());
        }
        let months = list(months);
        self.replace_rows(
            store,
            "months",
            &format!(
                "ALTER TABLE query_values DELETE WHERE store = toUUID(?) \
                 AND toYYYYMM(month) IN ({months})"
            ),
            &format!(
                "INSERT INTO query_values SELECT {} FROM statements {} \
                 WHERE store = toUUID(?) AND toYYYYMM(stored) IN ({months}) {}",
                values::STATE_COLUMNS,
                values::pairs(),
                values::GROUP_BY
            ),
            window,
        )
        .await
    }

    /// Deletes an aggregate's rows of `store` (`delete`, a mutation waited for), then inserts
    /// them again from `statements` (`insert`); both take the store as their one parameter.
    async fn replace_rows(
        &self,
        store: StoreId,
        what: &str,
        delete: &str,
        insert: &str,
        window: Option<&WriteWindow>,
    ) -> Result<(), ProjectionError> {
        let (deleting, rebuilding) = (
            format!("purge: delete {what}"),
            format!("purge: rebuild {what}"),
        );
        let client = || match window {
            Some(_) => self.writer(),
            None => self.client.clone(),
        };
        let mutation = self.mutation_sql(delete);
        let q = client().query(&mutation).bind(store.0.to_string());
        within(window, &deleting, q.execute()).await?;
        self.wait_for_mutations().await?;
        let remaining = delete
            .replacen("ALTER TABLE ", "SELECT count() FROM ", 1)
            .replacen(" DELETE WHERE ", " WHERE ", 1);
        self.until_gone(&deleting, || self.count(&remaining, Some(store)))
            .await?;
        let q = client().query(insert).bind(store.0.to_string());
        within(window, &rebuilding, q.execute()).await
    }
}

/// Runs the write `f` (`what`, for errors): at once without a `window`; else only while the
/// window is open, abandoned once its time is over.
async fn within(
    window: Option<&WriteWindow>,
    what: &str,
    f: impl std::future::Future<Output = Result<(), clickhouse::error::Error>>,
) -> Result<(), ProjectionError> {
    let Some(window) = window else {
        return f.await.map_err(err(what));
    };
    let Some(limit) = window() else {
        return Err(ProjectionError::new(format!(
            "{what}: this node no longer holds the projection lease"
        )));
    };
    match tokio::time::timeout(limit, f).await {
        Ok(r) => r.map_err(err(what)),
        Err(_) => Err(ProjectionError::new(format!(
            "{what}: abandoned after {limit:?} (the projection lease's write bound)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_of_hours() {
        // 2023-11-30T23:00Z and 2023-12-01T00:00Z.
        assert_eq!(
            months(&[1_701_385_200, 1_701_388_800]),
            vec![202311, 202312]
        );
        assert_eq!(months(&[]), Vec::<u32>::new());
    }
}
