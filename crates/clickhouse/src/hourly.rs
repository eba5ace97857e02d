//! Keeping `statements_hourly` (the aggregate materialized view's target) exact.
//!
//! The view adds every INSERT into `statements` to the hourly aggregates, but `discard_after`
//! removes rows from `statements` with a mutation, which a view never sees, and aggregate states
//! cannot be subtracted. So after every discard [`reconcile`] compares the statement count of
//! each `stored` hour in both tables; from the first hour that differs on, it deletes the
//! aggregates and rebuilds them from `statements` with [`REBUILD`], the view's own SELECT.
//! `stored` is monotonic with `seq`, so the discarded rows all sit in the last hours, and a crash
//! at any step leaves the aggregates either with extra hours or with missing ones, never both:
//! the next start finds the difference and repairs it.
use crate::ClickHouseProjection;
use crate::partition::Partition;
use crate::reconcile::ViewRebuild;
use cairn_core::ProjectionError;

/// The aggregate columns, exactly as the view in `schema/0004_statements_hourly.sql` writes them
/// (a unit test checks that the migration contains this text).
pub const STATE_COLUMNS: &str = "\
    store,
    toStartOfHour(stored, 'UTC') AS stored_hour,
    toStartOfHour(timestamp, 'UTC') AS hour,
    verb,
    object_id,
    activity_type,
    actor_ifi,
    countState() AS statements,
    uniqExactState(actor_ifi) AS actors,
    countIfState(ifNull(success, 0) = 1) AS successes,
    countIfState(ifNull(completion, 0) = 1) AS completions,
    countIfState(isNotNull(score_scaled)) AS score_scaled_n,
    sumIfState(ifNull(score_scaled, 0), isNotNull(score_scaled)) AS score_scaled_sum,
    minIfState(ifNull(score_scaled, 0), isNotNull(score_scaled)) AS score_scaled_min,
    maxIfState(ifNull(score_scaled, 0), isNotNull(score_scaled)) AS score_scaled_max,
    countIfState(isNotNull(score_raw)) AS score_raw_n,
    sumIfState(ifNull(score_raw, 0), isNotNull(score_raw)) AS score_raw_sum,
    minIfState(ifNull(score_raw, 0), isNotNull(score_raw)) AS score_raw_min,
    maxIfState(ifNull(score_raw, 0), isNotNull(score_raw)) AS score_raw_max,
    countIfState(isNotNull(duration_ms)) AS duration_ms_n,
    sumIfState(ifNull(duration_ms, 0), isNotNull(duration_ms)) AS duration_ms_sum,
    minIfState(ifNull(duration_ms, 0), isNotNull(duration_ms)) AS duration_ms_min,
    maxIfState(ifNull(duration_ms, 0), isNotNull(duration_ms)) AS duration_ms_max";

/// `(expression, name)` of every aggregate state the view writes, from [`STATE_COLUMNS`].
pub fn states() -> Vec<(&'static str, &'static str)> {
    STATE_COLUMNS
        .lines()
        .filter_map(|l| l.trim().trim_end_matches(',').rsplit_once(" AS "))
        .filter(|(expr, _)| expr.contains("State("))
        .collect()
}

/// The names of the view's aggregate state columns.
pub fn state_names() -> Vec<&'static str> {
    states().into_iter().map(|(_, name)| name).collect()
}

/// The grouping of the view.
pub const GROUP_BY: &str =
    "GROUP BY store, stored_hour, hour, verb, object_id, activity_type, actor_ifi";

/// Statements per `stored` hour, as epoch seconds, in `statements` (of `p`).
pub fn raw_hours(p: Partition) -> String {
    format!(
        "SELECT toUInt32(toStartOfHour(stored, 'UTC')) AS h, count() \
         FROM statements{} GROUP BY h ORDER BY h",
        p.where_clause()
    )
}

/// Statements per `stored` hour, as epoch seconds, in `statements_hourly` (of `p`).
pub fn agg_hours(p: Partition) -> String {
    format!(
        "SELECT toUInt32(stored_hour) AS h, countMerge(statements) \
         FROM statements_hourly{} GROUP BY h ORDER BY h",
        p.where_clause()
    )
}

/// Deletes the aggregates (of `p`) from the bound hour on.
pub fn delete_from_hour(p: Partition) -> String {
    format!(
        "ALTER TABLE statements_hourly DELETE WHERE stored_hour >= toDateTime(?){}",
        p.and()
    )
}

/// `INSERT … SELECT` of the aggregates of every statement (of `p`) stored from the bound hour
/// on.
pub fn rebuild_sql(p: Partition) -> String {
    format!(
        "INSERT INTO statements_hourly SELECT {STATE_COLUMNS} FROM statements \
         WHERE stored >= toDateTime(?){} {GROUP_BY}",
        p.and()
    )
}

impl ClickHouseProjection {
    /// Makes `statements_hourly` equal to the aggregates of `statements` (see the module doc),
    /// in this projection's partition.
    /// Returns the hour it rebuilt from, if any.
    pub async fn reconcile_hourly(&self) -> Result<Option<u32>, ProjectionError> {
        self.reconcile_view(&ViewRebuild {
            label: "hourly",
            source_counts: raw_hours(self.partition),
            view_counts: agg_hours(self.partition),
            delete_from: delete_from_hour(self.partition),
            rebuild_from: rebuild_sql(self.partition),
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn squash(s: &str) -> String {
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn states_are_read_from_the_views_select() {
        let s = states();
        assert_eq!(s.len(), 16);
        assert_eq!(s[0], ("countState()", "statements"));
        assert!(s.contains(&(
            "minIfState(ifNull(duration_ms, 0), isNotNull(duration_ms))",
            "duration_ms_min"
        )));
    }

    #[test]
    fn rebuild_uses_the_views_select() {
        let migration = squash(include_str!("../../../schema/0004_statements_hourly.sql"));
        assert!(migration.contains(&squash(STATE_COLUMNS)));
        assert!(migration.contains(&squash(GROUP_BY)));
    }
}
