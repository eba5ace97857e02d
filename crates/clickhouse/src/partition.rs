//! Projection partitions (`projection_partitions`, docs/ARCHITECTURE.md "Cluster mode"): the
//! nodes of a cluster sharing one database may split the projection by a hash of the store id,
//! each partition with its own lease, checkpoint and holder. A [`ClickHouseProjection`] scoped
//! to partition `k` of `P` ([`ClickHouseProjection::for_partition`]) touches only that
//! partition's rows when it cleans up: `discard_after` and the reconcile of the aggregate views
//! add [`Partition::predicate`], `sipHash64(toString(store)) % P = k`, which
//! `cairn_core::projection_lease::partition::partition_of` computes identically (tested against
//! a live server in tests/partitions.rs); and its writes carry a query id naming the partition,
//! so its `fence` stops only that partition's writes, never another holder's.
use crate::{ClickHouseProjection, SEQ_TABLES, err};
use cairn_core::ProjectionError;
use clickhouse::sql::Identifier;
use std::sync::Arc;

/// Partition `k` of `of` (`of = 1`: the whole projection, no predicate anywhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    pub k: u32,
    pub of: u32,
}

impl Partition {
    /// The whole projection.
    pub const ALL: Partition = Partition { k: 0, of: 1 };

    /// The rows of this partition, as a condition on a table with a `store` column (`None`:
    /// every row).
    pub fn predicate(&self) -> Option<String> {
        (self.of > 1).then(|| format!("sipHash64(toString(store)) % {} = {}", self.of, self.k))
    }

    /// `" AND <predicate>"`, or nothing.
    pub fn and(&self) -> String {
        self.predicate()
            .map(|p| format!(" AND {p}"))
            .unwrap_or_default()
    }

    /// `" WHERE <predicate>"`, or nothing.
    pub fn where_clause(&self) -> String {
        self.predicate()
            .map(|p| format!(" WHERE {p}"))
            .unwrap_or_default()
    }

    /// What the query ids of this partition's writes add to the database's write prefix.
    pub fn query_id_part(&self) -> String {
        if self.of > 1 {
            format!("p{}of{}-", self.k, self.of)
        } else {
            String::new()
        }
    }
}

impl ClickHouseProjection {
    /// This projection, scoped to partition `k` of `of`: its clean-up, reconcile and fence touch
    /// only that partition (see the module doc).
    pub fn for_partition(&self, k: u32, of: u32) -> Self {
        assert!(of >= 1 && k < of, "partition {k} of {of}");
        let mut p = self.clone();
        p.partition = Partition { k, of };
        p.unsettled = Arc::default();
        p
    }

    /// Succeeds once every migration is applied (a partition other than 0 waits for partition
    /// 0's holder to run them).
    pub(crate) async fn schema_current(&self) -> Result<(), ProjectionError> {
        let done = self.applied_migrations().await?;
        let missing = crate::migrations::MIGRATIONS
            .iter()
            .filter(|m| !done.contains(&m.version))
            .count();
        if missing > 0 {
            return Err(ProjectionError::new(format!(
                "{missing} ClickHouse migrations are not applied yet: the holder of projection \
                 partition 0 runs them"
            )));
        }
        Ok(())
    }

    /// The partition this projection writes and cleans up.
    pub fn partition(&self) -> Partition {
        self.partition
    }

    /// Rows of this partition in `table` whose `column` is above `seq`.
    pub(crate) async fn count_above(
        &self,
        table: &str,
        column: &str,
        seq: u64,
    ) -> Result<u64, ProjectionError> {
        self.client
            .query(&format!(
                "{}{}",
                crate::sql::COUNT_ABOVE,
                self.partition.and()
            ))
            .bind(Identifier(table))
            .bind(Identifier(column))
            .bind(seq)
            .fetch_one()
            .await
            .map_err(err("count rows to discard"))
    }

    /// Empties this partition of `table`: `TRUNCATE` for the whole projection, else a
    /// mutation deleting the partition's rows.
    async fn empty(&self, table: &str) -> Result<(), ProjectionError> {
        let sql = match self.partition.predicate() {
            None => format!("TRUNCATE TABLE {}", self.mutable(table)),
            Some(p) => self.mutation_sql(&format!("ALTER TABLE {table} DELETE WHERE {p}")),
        };
        self.client
            .query(&sql)
            .execute()
            .await
            .map_err(err("truncate"))
    }

    /// `Projection::discard_after` for this projection's partition.
    pub(crate) async fn discard_partition_after(&self, seq: u64) -> Result<(), ProjectionError> {
        for (table, column) in SEQ_TABLES {
            if seq == 0 {
                self.empty(table).await?;
                continue;
            }
            // A mutation rewrites every part it touches, so skip it when nothing is above `seq`
            // (the common case: the projector restarting exactly at its checkpoint).
            if self.count_above(table, column, seq).await? > 0 {
                self.client
                    .query(&format!(
                        "ALTER TABLE {} DELETE WHERE ? > ?{}",
                        self.mutable(table),
                        self.partition.and()
                    ))
                    .bind(Identifier(column))
                    .bind(seq)
                    .execute()
                    .await
                    .map_err(err("discard"))?;
            }
        }
        if seq == 0 {
            for table in ["statements_hourly", "query_values"] {
                self.empty(table).await?;
            }
        }
        self.wait_for_mutations().await?;
        for (table, column) in SEQ_TABLES {
            self.until_gone(table, || self.count_above(table, column, seq))
                .await?;
        }
        self.reconcile_hourly().await?;
        self.reconcile_values().await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_projection_has_no_predicate() {
        assert_eq!(Partition::ALL.predicate(), None);
        assert_eq!(Partition::ALL.and(), "");
        assert_eq!(Partition::ALL.query_id_part(), "");
        let p = Partition { k: 2, of: 4 };
        assert_eq!(p.and(), " AND sipHash64(toString(store)) % 4 = 2");
        assert_eq!(
            p.where_clause(),
            " WHERE sipHash64(toString(store)) % 4 = 2"
        );
        assert_eq!(p.query_id_part(), "p2of4-");
    }
}
