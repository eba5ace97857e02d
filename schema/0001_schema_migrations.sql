-- Which migrations have been applied to this database. The migration runner (cairn-clickhouse
-- `migrate()`, scripts/chdb_check.py) applies this file first, every time, then every later file
-- whose number is not recorded here, in order, recording each one after it succeeds.
CREATE TABLE IF NOT EXISTS schema_migrations
(
    version UInt32,
    name String,
    applied DateTime
)
ENGINE = ReplacingMergeTree()
ORDER BY version;
