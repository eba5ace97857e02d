//! Keeping a materialized view's target table exact after `discard_after`: a view never sees
//! the `ALTER DELETE` that removes discarded rows from `statements`, and aggregate states cannot
//! be subtracted. So each view's table is compared with `statements` period by period (hours for
//! `statements_hourly`, months for `query_values`); from the first period whose statement count
//! differs, its rows are deleted and rebuilt from `statements` with the view's own SELECT.
//! `stored` is monotonic with `seq`, so discarded rows sit in the last periods and a crash at any
//! step leaves extra or missing periods, never both: the next start repairs it.
use crate::{ClickHouseProjection, err};
use cairn_core::ProjectionError;

/// The SQL of one view's reconciliation. Periods are `UInt32` keys, bound back into the SQL.
pub(crate) struct ViewRebuild {
    pub label: &'static str,
    /// `(period, statements)` of `statements`, ordered by period.
    pub source_counts: String,
    /// `(period, statements)` recorded in the view's table, ordered by period.
    pub view_counts: String,
    /// Deletes the view's rows from the bound period on.
    pub delete_from: String,
    /// Re-inserts them from `statements` from the bound period on.
    pub rebuild_from: String,
}

/// The first period whose counts differ between the two per-period lists.
pub fn first_difference(raw: &[(u32, u64)], agg: &[(u32, u64)]) -> Option<u32> {
    let (mut i, mut j) = (0, 0);
    loop {
        match (raw.get(i), agg.get(j)) {
            (None, None) => return None,
            (Some(r), None) => return Some(r.0),
            (None, Some(a)) => return Some(a.0),
            (Some(r), Some(a)) if r == a => {
                i += 1;
                j += 1;
            }
            (Some(r), Some(a)) => return Some(r.0.min(a.0)),
        }
    }
}

impl ClickHouseProjection {
    /// Reconciles one view; returns the period it rebuilt from, if any.
    pub(crate) async fn reconcile_view(
        &self,
        v: &ViewRebuild,
    ) -> Result<Option<u32>, ProjectionError> {
        let counts = |sql: &str, what: &'static str| {
            let q = self.client.query(sql);
            async move { q.fetch_all::<(u32, u64)>().await.map_err(err(what)) }
        };
        let source = counts(&v.source_counts, "reconcile: statement counts").await?;
        let view = counts(&v.view_counts, "reconcile: view counts").await?;
        let Some(from) = first_difference(&source, &view) else {
            return Ok(None);
        };
        tracing::info!(
            view = v.label,
            from,
            "rebuilding a materialized view's rows"
        );
        self.client
            .query(&self.mutation_sql(&v.delete_from))
            .bind(from)
            .execute()
            .await
            .map_err(err("reconcile: delete"))?;
        self.wait_for_mutations().await?;
        self.until_gone(v.label, || async {
            let left = counts(&v.view_counts, "reconcile: view counts").await?;
            Ok(left
                .iter()
                .filter(|(p, _)| *p >= from)
                .map(|(_, n)| n)
                .sum())
        })
        .await?;
        self.client
            .query(&v.rebuild_from)
            .bind(from)
            .execute()
            .await
            .map_err(err("reconcile: rebuild"))?;
        Ok(Some(from))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_difference_finds_extra_and_missing_hours() {
        let a = [(1, 2), (2, 3), (3, 1)];
        assert_eq!(first_difference(&a, &a), None);
        assert_eq!(first_difference(&a, &a[..2]), Some(3));
        assert_eq!(first_difference(&a[..1], &a), Some(2));
        assert_eq!(first_difference(&a, &[(1, 2), (2, 4), (3, 1)]), Some(2));
        assert_eq!(first_difference(&a, &[(1, 2), (3, 1)]), Some(2));
        assert_eq!(first_difference(&[], &a), Some(1));
    }
}
