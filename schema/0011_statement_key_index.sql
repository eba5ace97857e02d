-- `statement_keys` again, as `statement_key_index`, in index granules of 1024 rows instead of
-- 8192. A filtered GET reads one key's range of this table; ClickHouse reads at least one
-- whole granule per part the range touches, and at 10M statements (104M key rows in 11 parts)
-- a rare key's query read about 90k rows of long key strings for a few hundred matches (profile
-- of ClickHouse under `load-tests/run.sh reads`: reading and decompressing `key` dominated).
-- Granularity is fixed when a table is created, hence a new table. Same columns and order;
-- fed by the projector's `statement_keys_feed` (0010). `0012` drops the old table.
CREATE TABLE IF NOT EXISTS statement_key_index
(
    store UUID,
    kind String,
    key String,
    seq UInt64,
    direct UInt8,
    stored DateTime
)
ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(stored)
ORDER BY (store, kind, key, seq, direct)
SETTINGS index_granularity = 1024;

DROP TABLE IF EXISTS statement_keys_mv;

CREATE MATERIALIZED VIEW IF NOT EXISTS statement_key_index_mv TO statement_key_index
AS SELECT
    store,
    kind,
    key,
    seq,
    direct,
    stored
FROM statement_keys_feed
ARRAY JOIN kinds AS kind, keys AS key, directs AS direct;

-- Every key row already projected (a repeated copy collapses into the same rows).
INSERT INTO statement_key_index
SELECT store, kind, key, seq, direct, stored FROM statement_keys;
