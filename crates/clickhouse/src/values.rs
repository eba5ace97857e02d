//! Query values (`query_values`, filled by `query_values_mv` from the pairs the projector feeds
//! it, see [`crate::feed`]): every (path, value) of a store's
//! statements with counts and first/last seen, for the query builder's autocomplete
//! ([`ClickHouseProjection::values`]), and [`ClickHouseProjection::reconcile_values`], which keeps
//! the table exact after `discard_after` the way `hourly` does: the pseudo-path `''` counts the
//! statements of each month, the first month whose count differs from `statements` is deleted
//! and rebuilt from `statements` with the view's own SELECT.
use crate::partition::Partition;
use crate::reconcile::ViewRebuild;
use crate::{ClickHouseProjection, err};
use cairn_core::ProjectionError;
use cairn_core::StoreId;
use cairn_core::analytics::ValueCount;

/// The rebuild's SELECT list and (path, value) pairs over `statements`: the pairs that
/// [`crate::feed::ValuesFeedRow`] computes for the view (`schema/0010_feeds.sql`), which tests
/// hold equal. Extension keys are recorded under their container path (`result.extensions` →
/// `<IRI>`), values under their full path.
pub const STATE_COLUMNS: &str = "\
    store,
    toStartOfMonth(stored) AS month,
    pair.1 AS path,
    pair.2 AS value,
    countState() AS statements,
    minState(stored_us) AS first_seen_us,
    maxState(stored_us) AS last_seen_us";
pub const PAIRS_EXPR: &str = "\
arrayFilter(p -> p.1 = '' OR p.2 != '', arrayConcat(
    [('', ''), ('actor', actor_ifi), ('verb', verb), ('object.type', object_type),
     ('object.id', object_id), ('activity.type', activity_type), ('registration', registration),
     ('context.platform', platform), ('context.language', language), ('authority', authority),
     ('version', version)],
    arrayMap(x -> ('agents', x), agents),
    arrayMap(x -> ('context.parent', x), context_parent),
    arrayMap(x -> ('context.grouping', x), context_grouping),
    arrayMap(x -> ('context.category', x), context_category),
    arrayMap(x -> ('context.other', x), context_other),
    arrayMap(k -> (substring(k, 1, position(k, 'extensions.') + 9),
                   substring(k, position(k, 'extensions.') + 11)), ext_keys),
    arrayMap((k, v) -> (k, v), ext_keys, ext_values)))";

/// The ARRAY JOIN of [`PAIRS_EXPR`], each element named `pair`.
pub fn pairs() -> String {
    format!("ARRAY JOIN {PAIRS_EXPR} AS pair")
}
pub const GROUP_BY: &str = "GROUP BY store, month, path, value";

/// The fixed paths the view records (the string fields of the filter language); it also records
/// extension containers and extension paths (see [`recorded`]).
pub const PATHS: &[&str] = &[
    "actor",
    "verb",
    "object.type",
    "object.id",
    "activity.type",
    "registration",
    "context.platform",
    "context.language",
    "authority",
    "version",
    "agents",
    "context.parent",
    "context.grouping",
    "context.category",
    "context.other",
];

/// Whether the view records `path`: a string field, an extension container (values are the
/// IRIs of its extensions) or an extension path (values are its texts).
pub fn recorded(path: &str) -> bool {
    PATHS.contains(&path)
        || cairn_filter::Container::from_path(path).is_some()
        || matches!(cairn_filter::Extension::parse(path), Some(Ok(_)))
}

/// Statements per month (YYYYMM) in `statements` (of `p`).
pub fn raw_months(p: Partition) -> String {
    format!(
        "SELECT toYYYYMM(stored) AS m, count() FROM statements{} GROUP BY m ORDER BY m",
        p.where_clause()
    )
}

/// Statements per month (YYYYMM) in `query_values` (of `p`).
pub fn value_months(p: Partition) -> String {
    format!(
        "SELECT toYYYYMM(month) AS m, countMerge(statements) \
         FROM query_values WHERE path = ''{} GROUP BY m ORDER BY m",
        p.and()
    )
}

/// Deletes the values (of `p`) from the bound month on.
pub fn delete_from_month(p: Partition) -> String {
    format!(
        "ALTER TABLE query_values DELETE WHERE toYYYYMM(month) >= ?{}",
        p.and()
    )
}

pub const AUTOCOMPLETE: &str = "SELECT value, countMerge(statements) AS n, \
     minMerge(first_seen_us), maxMerge(last_seen_us) FROM query_values \
     WHERE store = toUUID(?) AND path = ? AND startsWith(value, ?) \
     GROUP BY value ORDER BY n DESC, value LIMIT ?";

/// `INSERT … SELECT` of the values of every statement (of `p`) stored from the bound month
/// (YYYYMM) on.
pub fn rebuild_sql(p: Partition) -> String {
    format!(
        "INSERT INTO query_values SELECT {STATE_COLUMNS} FROM statements {} \
         WHERE toYYYYMM(stored) >= ?{} {GROUP_BY}",
        pairs(),
        p.and()
    )
}

impl ClickHouseProjection {
    /// Makes `query_values` equal to the values of `statements`; returns the month (YYYYMM) it
    /// rebuilt from, if any.
    pub async fn reconcile_values(&self) -> Result<Option<u32>, ProjectionError> {
        self.reconcile_view(&ViewRebuild {
            label: "values",
            source_counts: raw_months(self.partition),
            view_counts: value_months(self.partition),
            delete_from: delete_from_month(self.partition),
            rebuild_from: rebuild_sql(self.partition),
        })
        .await
    }

    /// The most frequent values of `path` in `store` starting with `prefix`.
    pub async fn values(
        &self,
        store: StoreId,
        path: &str,
        prefix: &str,
        limit: u64,
    ) -> Result<Vec<ValueCount>, ProjectionError> {
        let rows: Vec<(String, u64, i64, i64)> = self
            .analytics
            .query(AUTOCOMPLETE)
            .bind(store.0.to_string())
            .bind(path)
            .bind(prefix)
            .bind(limit)
            .fetch_all()
            .await
            .map_err(err("values"))?;
        Ok(rows
            .into_iter()
            .map(|(value, count, first_seen_us, last_seen_us)| ValueCount {
                value,
                count,
                first_seen_us,
                last_seen_us,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn squash(s: &str) -> String {
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn rebuild_uses_the_views_select_and_every_string_field_is_recorded() {
        let migration = squash(include_str!("../../../schema/0006_extensions.sql"));
        for part in [STATE_COLUMNS, &pairs(), GROUP_BY] {
            assert!(migration.contains(&squash(part)), "{part}");
        }
        // The persona is not a column: personas are found by name in the personas API.
        for f in cairn_filter::FIELDS.iter().filter(|f| f.path != "persona") {
            let string = matches!(
                f.kind,
                cairn_filter::FieldKind::Str | cairn_filter::FieldKind::StrArray
            );
            assert_eq!(PATHS.contains(&f.path), string, "{}", f.path);
            if string {
                assert!(
                    PAIRS_EXPR.contains(&format!("('{}', ", f.path)),
                    "{}",
                    f.path
                );
            }
        }
    }

    #[test]
    fn extension_containers_and_paths_are_recorded() {
        for c in cairn_filter::Container::ALL {
            assert!(recorded(c.path()));
            assert!(recorded(&format!("{}.http://x/y", c.path())));
        }
        assert!(!recorded("result.extensions.not-an-iri"));
        assert!(!recorded("result.score.raw") && !recorded("nope"));
    }
}
