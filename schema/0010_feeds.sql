-- Narrow feeds for the two fan-out views. `query_values_mv` and `statement_keys_mv` turn each
-- statement into many rows with ARRAY JOIN, and ClickHouse 18.16 copies every column of the
-- source block for each of those rows: reading from `statements`, that copied the statement's
-- JSON and every array about 40 times per statement (measured: 28% of ClickHouse's CPU in
-- `ColumnString::replicate` during a catch-up, and a 50k insert exceeded the memory limit).
--
-- The projector now computes each statement's fan-out itself (crates/clickhouse/src/feed.rs)
-- and inserts it, next to the `statements` row, into these `Null` tables (which store nothing);
-- the views ARRAY JOIN parallel arrays of plain columns, so only the few columns they keep are
-- copied. `query_values` and `statement_keys` are unchanged, and so is every reader. The rebuild
-- of `query_values` after `discard_after` still computes the same pairs in SQL from
-- `statements` (values::PAIRS); tests hold the two equal.
CREATE TABLE IF NOT EXISTS query_values_feed
(
    store UUID,
    stored DateTime,
    stored_us Int64,
    paths Array(String),
    vals Array(String)
)
ENGINE = Null;

DROP TABLE IF EXISTS query_values_mv;

CREATE MATERIALIZED VIEW IF NOT EXISTS query_values_mv TO query_values
AS SELECT
    store,
    toStartOfMonth(stored) AS month,
    path,
    value,
    countState() AS statements,
    minState(stored_us) AS first_seen_us,
    maxState(stored_us) AS last_seen_us
FROM query_values_feed
ARRAY JOIN paths AS path, vals AS value
GROUP BY store, month, path, value;

CREATE TABLE IF NOT EXISTS statement_keys_feed
(
    store UUID,
    seq UInt64,
    stored DateTime,
    kinds Array(String),
    keys Array(String),
    directs Array(UInt8)
)
ENGINE = Null;

DROP TABLE IF EXISTS statement_keys_mv;

CREATE MATERIALIZED VIEW IF NOT EXISTS statement_keys_mv TO statement_keys
AS SELECT
    store,
    kind,
    key,
    seq,
    direct,
    stored
FROM statement_keys_feed
ARRAY JOIN kinds AS kind, keys AS key, directs AS direct;
