//! The cluster transformation on the real migrations and on small examples.
use super::*;
use crate::migrations::{MIGRATIONS, statements as split};

fn schema() -> Schema {
    let all: Vec<String> = MIGRATIONS.iter().flat_map(|m| split(m.sql)).collect();
    Schema::of(all.iter().map(String::as_str))
}

fn one(stmt: &str) -> Vec<String> {
    statements(stmt, &schema(), "c", "db").unwrap()
}

#[test]
fn every_migration_transforms_and_every_ddl_runs_on_the_cluster() {
    let schema = schema();
    for m in MIGRATIONS {
        for s in split(m.sql) {
            let out = statements(&s, &schema, "c", "db").unwrap_or_else(|e| panic!("{e}"));
            for t in out {
                if !t.starts_with("INSERT") {
                    assert!(t.contains(" ON CLUSTER c"), "{}: {t}", m.name);
                    assert!(t.contains(" db."), "{}: unqualified: {t}", m.name);
                }
                // No view reads or writes a Distributed table.
                if t.starts_with("CREATE MATERIALIZED VIEW") {
                    for table in &schema.sharded {
                        assert!(!t.contains(&format!("FROM {table}\n")), "{t}");
                        assert!(!t.contains(&format!("TO db.{table} ")), "{t}");
                    }
                }
            }
        }
    }
    assert!(schema.sharded.contains(&"statements".to_string()));
    assert!(schema.sharded.contains(&"query_values_feed".to_string()));
    assert!(!schema.sharded.contains(&"schema_migrations".to_string()));
    assert!(schema.views.contains(&"voids_mv".to_string()));
}

#[test]
fn a_sharded_table_becomes_a_replicated_local_table_and_a_distributed_one() {
    let out = one(
        "CREATE TABLE IF NOT EXISTS voided\n(\n    store UUID,\n    seq UInt64\n)\n\
         ENGINE = ReplacingMergeTree()\nORDER BY (store, seq)",
    );
    assert_eq!(
        out,
        vec![
            "CREATE TABLE IF NOT EXISTS db.voided_local ON CLUSTER c\n(\n    store UUID,\n    \
             seq UInt64\n)\nENGINE = ReplicatedReplacingMergeTree(\
             '/clickhouse/tables/{shard}/db/voided_local', '{replica}')\nORDER BY (store, seq)"
                .to_string(),
            "CREATE TABLE IF NOT EXISTS db.voided ON CLUSTER c AS db.voided_local ENGINE = \
             Distributed(c, db, voided_local, cityHash64(toString(store)))"
                .to_string(),
        ]
    );
}

#[test]
fn engine_arguments_are_kept_and_null_feeds_stay_null() {
    let out = one(
        "CREATE TABLE IF NOT EXISTS persona_identifiers\n(\n    store UUID,\n    seq UInt64\n)\n\
         ENGINE = ReplacingMergeTree(seq)\nORDER BY (store, seq)",
    );
    assert!(
        out[0].contains(
            "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/db/persona_identifiers_local', \
             '{replica}', seq)"
        ),
        "{}",
        out[0]
    );
    let out =
        one("CREATE TABLE IF NOT EXISTS query_values_feed\n(\n    store UUID\n)\nENGINE = Null");
    assert!(out[0].ends_with("ENGINE = Null"), "{}", out[0]);
    assert_eq!(out.len(), 2);
}

#[test]
fn bookkeeping_is_replicated_to_every_server_under_its_own_name() {
    let out = one(
        "CREATE TABLE IF NOT EXISTS schema_migrations\n(\n    version UInt32\n)\n\
         ENGINE = ReplacingMergeTree()\nORDER BY version",
    );
    assert_eq!(out.len(), 1);
    assert!(out[0].starts_with("CREATE TABLE IF NOT EXISTS db.schema_migrations ON CLUSTER c"));
    assert!(out[0].contains("'/clickhouse/tables/all/db/schema_migrations'"));
}

#[test]
fn views_read_and_write_local_tables() {
    let out = one(
        "CREATE MATERIALIZED VIEW IF NOT EXISTS voids_mv TO voids\nAS SELECT store, seq\n\
         FROM statements\nWHERE voids != ''",
    );
    assert_eq!(
        out,
        vec![
            "CREATE MATERIALIZED VIEW IF NOT EXISTS db.voids_mv ON CLUSTER c TO db.voids_local\n\
             AS SELECT store, seq\nFROM db.statements_local\nWHERE voids != ''"
                .to_string()
        ]
    );
}

#[test]
fn drops_and_column_changes_reach_both_tables() {
    assert_eq!(
        one("DROP TABLE IF EXISTS statement_keys"),
        vec![
            "DROP TABLE IF EXISTS db.statement_keys ON CLUSTER c",
            "DROP TABLE IF EXISTS db.statement_keys_local ON CLUSTER c"
        ]
    );
    assert_eq!(
        one("DROP TABLE IF EXISTS query_values_mv"),
        vec!["DROP TABLE IF EXISTS db.query_values_mv ON CLUSTER c"]
    );
    assert_eq!(
        one("ALTER TABLE statements DROP COLUMN statement"),
        vec![
            "ALTER TABLE db.statements_local ON CLUSTER c DROP COLUMN statement".to_string(),
            "DROP TABLE IF EXISTS db.statements ON CLUSTER c".to_string(),
            "CREATE TABLE IF NOT EXISTS db.statements ON CLUSTER c AS db.statements_local \
             ENGINE = Distributed(c, db, statements_local, cityHash64(toString(store)))"
                .to_string(),
        ]
    );
    assert!(statements("SELECT 1", &schema(), "c", "db").is_err());
}

#[test]
fn only_plain_identifiers_are_accepted_as_names() {
    assert!(is_identifier("cairn_2"));
    assert!(is_identifier("_c"));
    for bad in ["", "2c", "a-b", "a b", "a;DROP", "a.b", "é"] {
        assert!(!is_identifier(bad), "{bad}");
    }
}

#[test]
fn mutations_name_the_local_tables_on_every_server() {
    assert_eq!(
        mutation("ALTER TABLE voided DELETE WHERE seq IN (1, 2)", "c", "db"),
        "ALTER TABLE db.voided_local ON CLUSTER c DELETE WHERE seq IN (1, 2)"
    );
    assert_eq!(mutation("SELECT 1", "c", "db"), "SELECT 1");
}

#[test]
fn an_unreachable_server_of_the_cluster_is_the_projection_unavailable() {
    use crate::kind_of;
    use cairn_core::ports::ProjectionErrorKind as K;
    let bad = |t: &str| clickhouse::error::Error::BadResponse(t.to_string());
    let refused = "Code: 32, e.displayText() = DB::Exception: Attempt to read after eof\n\
                   Code: 210, e.displayText() = DB::NetException: Connection refused (h:9000)";
    assert_eq!(kind_of(&bad(refused)), K::Unavailable);
    let tries = "Code: 279, e.displayText() = DB::NetException: All connection tries failed.";
    assert_eq!(kind_of(&bad(tries)), K::Unavailable);
    assert_eq!(kind_of(&bad("Code: 2100, e.displayText() = x")), K::Failed);
    assert_eq!(
        kind_of(&bad("Code: 60, Table db.t doesn't exist")),
        K::Failed
    );
}
