//! Cluster mode: the same `schema/*.sql` files turned into `ON CLUSTER` DDL for a ClickHouse
//! cluster (replicated tables coordinated by ZooKeeper, `Distributed` tables over shards).
//!
//! [`statements`] is the one place the transformation happens, a pure function of a migration's
//! statement, the cluster's name and the database:
//!
//! - a table with a `store` column becomes `<name>_local` on every server (its engine prefixed
//!   with `Replicated`, ZooKeeper path `/clickhouse/tables/{shard}/<database>/<name>_local`,
//!   replica `{replica}`; `Null` feeds stay `Null`) plus `<name>`, a `Distributed` table over
//!   the shards, sharded by `cityHash64(toString(store))`: every row of a store lives on one
//!   shard, so the readers' per-store `IN (subquery)` and `GROUP BY seq` stay shard-local;
//! - a table without `store` (`schema_migrations`) is replicated to every server (its ZooKeeper
//!   path has no `{shard}`) and keeps its name;
//! - a materialized view is created on every server, reading and writing the local tables, so
//!   it fires on the shard that receives the row;
//! - `DROP` of a table drops both tables; `ALTER … ADD/DROP COLUMN` alters the local tables and
//!   creates the `Distributed` one again;
//! - other statements (backfills `INSERT … SELECT`) run unchanged, through the `Distributed`
//!   tables.
//!
//! 18.16 runs an `ON CLUSTER` statement on each server in that server's default database, so
//! every name is qualified with the database here.

/// The suffix of the servers' own (replicated) tables behind a `Distributed` one.
pub const LOCAL: &str = "_local";

/// What the transformation needs to know of the whole schema: the names of the materialized
/// views and of the sharded tables (those with a `store` column), gathered from every migration.
#[derive(Debug, Default, Clone)]
pub struct Schema {
    pub views: Vec<String>,
    pub sharded: Vec<String>,
}

impl Schema {
    /// The views and sharded tables created by `sqls` (every migration's statements).
    pub fn of<'a>(sqls: impl IntoIterator<Item = &'a str>) -> Schema {
        let mut schema = Schema::default();
        for s in sqls {
            if let Some(rest) = s.strip_prefix("CREATE MATERIALIZED VIEW IF NOT EXISTS ") {
                schema.views.push(first_word(rest).to_string());
            } else if let Some(rest) = s.strip_prefix("CREATE TABLE IF NOT EXISTS ")
                && has_store(s)
            {
                schema.sharded.push(first_word(rest).to_string());
            }
        }
        schema
    }

    fn is_sharded(&self, name: &str) -> bool {
        self.sharded.iter().any(|t| t == name)
    }

    fn is_view(&self, name: &str) -> bool {
        self.views.iter().any(|t| t == name)
    }
}

fn first_word(s: &str) -> &str {
    s.split(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or("")
}

fn has_store(create: &str) -> bool {
    create.lines().any(|l| l.trim().starts_with("store UUID"))
}

/// The cluster-mode statements for one statement of a migration (see the module docs). `Err`
/// names a statement this transformation does not know, so a new kind of migration fails its
/// unit test instead of running unchanged on one server.
pub fn statements(
    stmt: &str,
    schema: &Schema,
    cluster: &str,
    db: &str,
) -> Result<Vec<String>, String> {
    let on = format!("ON CLUSTER {cluster}");
    if let Some(rest) = stmt.strip_prefix("CREATE TABLE IF NOT EXISTS ") {
        let name = first_word(rest);
        let body = &rest[name.len()..];
        let (columns, engine) = body
            .split_once("ENGINE = ")
            .ok_or_else(|| format!("no ENGINE in {stmt}"))?;
        let sharded = schema.is_sharded(name);
        let local = if sharded {
            format!("{name}{LOCAL}")
        } else {
            name.to_string()
        };
        let path = if sharded {
            format!("/clickhouse/tables/{{shard}}/{db}/{local}")
        } else {
            format!("/clickhouse/tables/all/{db}/{local}")
        };
        let engine = if engine.starts_with("Null") {
            engine.to_string()
        } else {
            let (kind, rest) = engine
                .split_once('(')
                .ok_or_else(|| format!("no engine arguments in {stmt}"))?;
            let sep = if rest.starts_with(')') { "" } else { ", " };
            format!("Replicated{kind}('{path}', '{{replica}}'{sep}{rest}")
        };
        let mut out = vec![format!(
            "CREATE TABLE IF NOT EXISTS {db}.{local} {on}{}ENGINE = {engine}",
            columns
        )];
        if sharded {
            out.push(distributed(name, cluster, db));
        }
        return Ok(out);
    }
    if let Some(rest) = stmt.strip_prefix("CREATE MATERIALIZED VIEW IF NOT EXISTS ") {
        let name = first_word(rest);
        let rest = rest[name.len()..].trim_start();
        let rest = rest
            .strip_prefix("TO ")
            .ok_or_else(|| format!("a view without TO: {stmt}"))?;
        let target = first_word(rest);
        let query = localize_from(&rest[target.len()..], schema, db);
        return Ok(vec![format!(
            "CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.{name} {on} TO {db}.{}{query}",
            local_name(target, schema)
        )]);
    }
    if let Some(rest) = stmt.strip_prefix("DROP TABLE IF EXISTS ") {
        let name = rest.trim();
        let mut out = vec![format!("DROP TABLE IF EXISTS {db}.{name} {on}")];
        if schema.is_sharded(name) && !schema.is_view(name) {
            out.push(format!("DROP TABLE IF EXISTS {db}.{name}{LOCAL} {on}"));
        }
        return Ok(out);
    }
    if let Some(rest) = stmt.strip_prefix("ALTER TABLE ") {
        let name = first_word(rest);
        let change = &rest[name.len()..];
        if !schema.is_sharded(name) {
            return Ok(vec![format!("ALTER TABLE {db}.{name} {on}{change}")]);
        }
        // The local tables are altered; the Distributed one, which stores nothing, is created
        // again with their new columns (18.16 refuses an `ALTER … ON CLUSTER` of a Distributed
        // table over replicated shards).
        return Ok(vec![
            format!("ALTER TABLE {db}.{name}{LOCAL} {on}{change}"),
            format!("DROP TABLE IF EXISTS {db}.{name} {on}"),
            distributed(name, cluster, db),
        ]);
    }
    if stmt.starts_with("INSERT INTO ") {
        return Ok(vec![stmt.to_string()]);
    }
    Err(format!("cluster mode cannot transform: {stmt}"))
}

/// The `Distributed` table `name` over the shards' `name_local`, sharded by store.
fn distributed(name: &str, cluster: &str, db: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {db}.{name} ON CLUSTER {cluster} AS {db}.{name}{LOCAL} \
         ENGINE = Distributed({cluster}, {db}, {name}{LOCAL}, cityHash64(toString(store)))"
    )
}

fn local_name(name: &str, schema: &Schema) -> String {
    if schema.is_sharded(name) {
        format!("{name}{LOCAL}")
    } else {
        name.to_string()
    }
}

/// `FROM t` in a view's query, for a sharded table `t`, becomes `FROM db.t_local`.
fn localize_from(query: &str, schema: &Schema, db: &str) -> String {
    let mut out = String::with_capacity(query.len() + 32);
    let mut rest = query;
    while let Some(at) = rest.find("FROM ") {
        let (head, tail) = rest.split_at(at + "FROM ".len());
        out.push_str(head);
        let name = first_word(tail);
        if schema.is_sharded(name) {
            out.push_str(&format!("{db}.{name}{LOCAL}"));
        } else {
            out.push_str(name);
        }
        rest = &tail[name.len()..];
    }
    out.push_str(rest);
    out
}

/// Whether `name` can be written into SQL as it is: ASCII letters, digits and `_`, not
/// starting with a digit (the cluster and database names are).
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `CREATE DATABASE` on every server of the cluster.
pub fn create_database(cluster: &str, db: &str) -> String {
    format!("CREATE DATABASE IF NOT EXISTS {db} ON CLUSTER {cluster}")
}

/// A `Distributed` view of every shard's `system.mutations`, so that `discard_after` and purge
/// wait for the mutations of every server, not only of the one they talk to.
pub fn mutations_table(cluster: &str, db: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {db}.cluster_mutations {on} AS system.mutations \
         ENGINE = Distributed({cluster}, system, mutations)",
        on = format_args!("ON CLUSTER {cluster}")
    )
}

/// The table a row-changing statement (`ALTER … DELETE`, `TRUNCATE`) must name in cluster
/// mode, `db.t_local ON CLUSTER c`, since a `Distributed` table cannot be mutated.
pub fn mutated(table: &str, cluster: &str, db: &str) -> String {
    format!("{db}.{table}{LOCAL} ON CLUSTER {cluster}")
}

/// An `ALTER TABLE t …` statement (a mutation) rewritten for a cluster: `ALTER TABLE
/// db.t_local ON CLUSTER c …`. Other statements are returned unchanged.
pub fn mutation(sql: &str, cluster: &str, db: &str) -> String {
    match sql.strip_prefix("ALTER TABLE ") {
        Some(rest) => {
            let table = first_word(rest);
            format!(
                "ALTER TABLE {}{}",
                mutated(table, cluster, db),
                &rest[table.len()..]
            )
        }
        None => sql.to_string(),
    }
}

impl crate::ClickHouseProjection {
    /// On a cluster, waits until `remaining` counts no row: the rows a mutation deletes are
    /// checked gone, not only its status. A replicated table learns of a mutation from ZooKeeper
    /// in the background, so right after `ALTER … ON CLUSTER` returns a server (one just started
    /// again, or a busy one) may not list it in `system.mutations` yet, and waiting for the
    /// listed mutations alone let a rebuild run before the delete (an aggregate counted twice).
    /// On one server [`Self::wait_for_mutations`] is enough and this returns at once.
    pub(crate) async fn until_gone<F, Fut>(
        &self,
        what: &str,
        mut remaining: F,
    ) -> Result<(), cairn_core::ProjectionError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<u64, cairn_core::ProjectionError>>,
    {
        if self.cluster.is_none() {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let mut pause = std::time::Duration::from_millis(20);
        loop {
            let left = remaining().await?;
            if left == 0 {
                return Ok(());
            }
            if started.elapsed() > self.mutation_timeout {
                return Err(cairn_core::ProjectionError::new(format!(
                    "{what}: {left} row(s) still there {:?} after their delete",
                    self.mutation_timeout
                )));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(std::time::Duration::from_millis(500));
        }
    }

    /// The table a mutation or `TRUNCATE` names: `table` on one server, its local tables on
    /// every server of a cluster.
    pub fn mutable(&self, table: &str) -> String {
        match &self.cluster {
            Some(c) => mutated(table, c, &self.database),
            None => table.to_string(),
        }
    }

    /// `sql`, an `ALTER TABLE t …` mutation, as this projection runs it: on a cluster, against
    /// `t`'s local tables on every server ([`mutation`]).
    pub fn mutation_sql(&self, sql: &str) -> String {
        match &self.cluster {
            Some(c) => mutation(sql, c, &self.database),
            None => sql.to_string(),
        }
    }

    /// The statements dropping `object` (a table or view of `migrations::OBJECTS`).
    pub(crate) fn drops(&self, object: &str) -> Vec<String> {
        match &self.cluster {
            None => vec![format!("DROP TABLE IF EXISTS {object}")],
            Some(c) => {
                let db = &self.database;
                let mut out = vec![format!("DROP TABLE IF EXISTS {db}.{object} ON CLUSTER {c}")];
                if !object.ends_with("_mv") && object != "schema_migrations" {
                    out.push(format!(
                        "DROP TABLE IF EXISTS {db}.{object}{LOCAL} ON CLUSTER {c}"
                    ));
                }
                out
            }
        }
    }

    /// How many mutations of the seq-keyed tables are pending: on this server, or on every
    /// shard of the cluster (through `cluster_mutations`).
    pub(crate) fn pending_mutations_sql(&self) -> String {
        match &self.cluster {
            None => crate::sql::PENDING_MUTATIONS.to_string(),
            Some(_) => crate::sql::PENDING_MUTATIONS
                .replace("system.mutations", "cluster_mutations")
                .replace(
                    "AND table IN",
                    "AND replaceRegexpOne(table, '_local$', '') IN",
                ),
        }
    }
}

#[cfg(test)]
mod tests;
