//! The schema migrations in `schema/`, embedded into the binary, and how a file is split into
//! statements (ClickHouse's HTTP interface runs one statement per request), and the runner that
//! applies them.
use crate::{ClickHouseProjection, cluster, err, kind_of, sql};
use cairn_core::ProjectionError;

/// One numbered migration file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

macro_rules! migration {
    ($version:literal, $name:literal) => {
        Migration {
            version: $version,
            name: $name,
            sql: include_str!(concat!("../../../schema/", $name, ".sql")),
        }
    };
}

/// Every migration, in the order they are applied. The first creates `schema_migrations` and is
/// applied every time (it is idempotent); the others are applied once each.
pub const MIGRATIONS: &[Migration] = &[
    migration!(1, "0001_schema_migrations"),
    migration!(2, "0002_statements"),
    migration!(3, "0003_voids"),
    migration!(4, "0004_statements_hourly"),
    migration!(5, "0005_query_values"),
    migration!(6, "0006_extensions"),
    migration!(7, "0007_voided"),
    migration!(8, "0008_personas"),
    migration!(9, "0009_statement_keys"),
    migration!(10, "0010_feeds"),
    migration!(11, "0011_statement_key_index"),
    migration!(12, "0012_drop_statement_keys"),
    migration!(13, "0013_drop_statement_json"),
];

/// The tables and views the migrations create, in an order that is safe to drop them in
/// (the materialized view before the tables it reads and writes).
pub const OBJECTS: &[&str] = &[
    "statement_key_index_mv",
    "statement_keys_mv",
    "statement_keys_feed",
    "statement_key_index",
    "statement_keys",
    "persona_identifiers",
    "actor_hours_mv",
    "actor_hours",
    "voided",
    "query_values_mv",
    "query_values_feed",
    "query_values",
    "statements_hourly_mv",
    "statements_hourly",
    "voids_mv",
    "voids",
    "statements",
    "schema_migrations",
];

/// Splits a migration into statements: `--` comment lines are dropped and a statement ends at a
/// line whose last non-blank character is `;`. Migrations must not put `;` at the end of a line
/// inside a string literal (they have no reason to).
pub fn statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in sql.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("--") || trimmed.is_empty() {
            continue;
        }
        current.push_str(line.trim_end());
        current.push('\n');
        if trimmed.ends_with(';') {
            push(&mut out, &mut current);
        }
    }
    push(&mut out, &mut current);
    out
}

/// `(table, column)` of an `ALTER TABLE t ADD COLUMN c …` statement (one column). 18.16 has no
/// `ADD COLUMN IF NOT EXISTS`, so the runner skips such a statement when the column exists.
pub fn added_column(stmt: &str) -> Option<(&str, &str)> {
    altered_column(stmt, "ADD")
}

/// `(table, column)` of an `ALTER TABLE t DROP COLUMN c` statement (one column). 18.16 has no
/// `DROP COLUMN IF EXISTS`, so the runner skips such a statement when the column is gone.
pub fn dropped_column(stmt: &str) -> Option<(&str, &str)> {
    altered_column(stmt, "DROP")
}

fn altered_column<'a>(stmt: &'a str, verb: &str) -> Option<(&'a str, &'a str)> {
    let mut words = stmt.split_whitespace();
    let head: Vec<&str> = words.by_ref().take(2).collect();
    if head != ["ALTER", "TABLE"] {
        return None;
    }
    // In cluster mode: `ALTER TABLE db.t ON CLUSTER c …`.
    let table = words.next()?;
    let table = table.rsplit('.').next()?;
    let mut alter: Vec<&str> = words.by_ref().take(2).collect();
    if alter == ["ON", "CLUSTER"] {
        words.next()?;
        alter = words.by_ref().take(2).collect();
    }
    if alter != [verb, "COLUMN"] || stmt.contains(',') {
        return None;
    }
    Some((table, words.next()?))
}

fn push(out: &mut Vec<String>, current: &mut String) {
    let stmt = current.trim().trim_end_matches(';').trim();
    if !stmt.is_empty() {
        out.push(stmt.to_string());
    }
    current.clear();
}

impl ClickHouseProjection {
    /// The statements of a migration as this projection runs them: unchanged on one server,
    /// transformed by [`cluster::statements`] on a cluster.
    fn migration_statements(&self, m: &Migration) -> Result<Vec<String>, ProjectionError> {
        let Some(c) = &self.cluster else {
            return Ok(statements(m.sql));
        };
        let all: Vec<String> = MIGRATIONS.iter().flat_map(|m| statements(m.sql)).collect();
        let schema = cluster::Schema::of(all.iter().map(String::as_str));
        let mut out = Vec::new();
        for s in statements(m.sql) {
            out.extend(
                cluster::statements(&s, &schema, c, &self.database)
                    .map_err(|e| ProjectionError::new(format!("migration {}: {e}", m.name)))?,
            );
        }
        Ok(out)
    }

    async fn column_exists(&self, table: &str, column: &str) -> Result<bool, ProjectionError> {
        let n: u64 = self
            .client
            .query(sql::COLUMN_EXISTS)
            .bind(&self.database)
            .bind(table)
            .bind(column)
            .fetch_one()
            .await
            .map_err(err("migration: column exists"))?;
        Ok(n > 0)
    }

    pub(crate) async fn run_migration(&self, m: &Migration) -> Result<(), ProjectionError> {
        for stmt in self.migration_statements(m)? {
            let added = added_column(&stmt).map(|c| (c, true));
            let dropped = dropped_column(&stmt).map(|c| (c, false));
            if let Some(((table, column), adding)) = added.or(dropped) {
                if self.column_exists(table, column).await? == adding {
                    continue;
                }
                // Another node migrating at the same moment may add or drop it first.
                if let Err(e) = self.client.query_raw(&stmt).execute().await {
                    if self.column_exists(table, column).await? == adding {
                        continue;
                    }
                    let msg = format!("migration {}: {e}", m.name);
                    return Err(ProjectionError::of(kind_of(&e), msg));
                }
                continue;
            }
            self.client.query_raw(&stmt).execute().await.map_err(|e| {
                ProjectionError::of(kind_of(&e), format!("migration {}: {e}", m.name))
            })?;
        }
        Ok(())
    }
}

impl ClickHouseProjection {
    /// Applies the migrations not applied yet, in order; after each, `applied(done, total,
    /// name)` with the count of migrations now in place out of all of them (`cairn migrate`
    /// shows it as progress).
    pub async fn migrate_reporting(
        &self,
        mut applied: impl FnMut(usize, usize, &str) + Send,
    ) -> Result<(), ProjectionError> {
        self.create_database().await?;
        let (bootstrap, rest) = MIGRATIONS.split_first().expect("at least one migration");
        self.run_migration(bootstrap).await?;
        if let Some(c) = &self.cluster {
            self.client
                .query(&cluster::mutations_table(c, &self.database))
                .execute()
                .await
                .map_err(err("migration: cluster_mutations"))?;
        }
        let done = self.applied_migrations().await?;
        let total = MIGRATIONS.len();
        let mut count = MIGRATIONS
            .iter()
            .filter(|m| done.contains(&m.version))
            .count();
        for m in std::iter::once(bootstrap).chain(rest) {
            if done.contains(&m.version) {
                continue;
            }
            self.run_migration(m).await?;
            self.client
                .query(sql::RECORD_MIGRATION)
                .bind(m.version)
                .bind(m.name)
                .execute()
                .await
                .map_err(err("record migration"))?;
            tracing::info!(migration = m.name, database = %self.database, "applied ClickHouse migration");
            count += 1;
            applied(count, total, m.name);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_increasing_and_match_file_names() {
        // Numbers may skip one that a branch in progress has reserved; never go back.
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert!(
                i == 0 || m.version > MIGRATIONS[i - 1].version,
                "{}",
                m.name
            );
            assert!(
                m.name.starts_with(&format!("{:04}_", m.version)),
                "{}",
                m.name
            );
        }
    }

    #[test]
    fn every_schema_file_is_embedded() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../schema");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        let embedded: Vec<String> = MIGRATIONS
            .iter()
            .map(|m| format!("{}.sql", m.name))
            .collect();
        assert_eq!(files, embedded);
    }

    #[test]
    fn splits_statements_and_drops_comments() {
        let sql = "-- a comment\nCREATE TABLE a\n(\n  x UInt8\n);\n\n-- another\nCREATE VIEW b AS SELECT 1;\n";
        assert_eq!(
            statements(sql),
            vec![
                "CREATE TABLE a\n(\n  x UInt8\n)",
                "CREATE VIEW b AS SELECT 1"
            ]
        );
        assert_eq!(statements("SELECT 1"), vec!["SELECT 1"]);
    }

    #[test]
    fn added_columns_are_recognised() {
        assert_eq!(
            added_column("ALTER TABLE statements ADD COLUMN ext_keys Array(String)"),
            Some(("statements", "ext_keys"))
        );
        assert_eq!(
            added_column("ALTER TABLE t ADD COLUMN a String, ADD COLUMN b String"),
            None
        );
        assert_eq!(added_column("ALTER TABLE t DELETE WHERE 1"), None);
        assert_eq!(
            added_column("CREATE TABLE IF NOT EXISTS t (a String)"),
            None
        );
        assert_eq!(
            dropped_column("ALTER TABLE statements DROP COLUMN statement"),
            Some(("statements", "statement"))
        );
        assert_eq!(dropped_column("ALTER TABLE t ADD COLUMN a String"), None);
        assert_eq!(added_column("ALTER TABLE t DROP COLUMN a"), None);
        assert_eq!(
            added_column("ALTER TABLE db.t_local ON CLUSTER c ADD COLUMN a String"),
            Some(("t_local", "a"))
        );
    }

    #[test]
    fn every_migration_is_idempotent_ddl() {
        for m in MIGRATIONS {
            for s in statements(m.sql) {
                // Backfills insert into ReplacingMergeTree tables keyed so that a repeated
                // backfill collapses into the same rows: running one twice changes nothing.
                if s.starts_with("INSERT INTO statement_key") {
                    continue;
                }
                // Creations say IF NOT EXISTS, drops IF EXISTS; added columns are skipped by the
                // runner when they exist, dropped ones when they do not.
                assert!(
                    s.contains("IF NOT EXISTS")
                        || s.starts_with("DROP TABLE IF EXISTS ")
                        || added_column(&s).is_some()
                        || dropped_column(&s).is_some(),
                    "{}: {s}",
                    m.name
                );
                // `arrayMap(` is a function, not the Map type.
                let s = s.replace("arrayMap(", "array_map(");
                for banned in [
                    "DateTime64",
                    "Map(",
                    "JSON",
                    "LowCardinality",
                    "CODEC",
                    " TTL ",
                ] {
                    assert!(!s.contains(banned), "{} uses {banned}", m.name);
                }
            }
        }
    }
}
