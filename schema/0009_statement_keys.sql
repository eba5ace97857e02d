-- The keys xAPI filtered reads select on, one row per (statement, key), ordered so that all
-- statements of one agent, verb, activity or registration form one range of the primary key:
-- a filtered GET reads the seqs of that range (newest windows first) and then only the granules
-- of `statements` holding them, instead of scanning the store's rows with `has(...)`.
--
-- kind: 'agent' (key = an IFI key: one row with direct = 1 per entry of `agents`, the plain
-- `agent` filter, and one with direct = 0 per entry of `related_agents`), 'activity' (the same
-- for `activities` / `related_activities`), 'verb', 'registration' (direct = 1). (18.16's
-- lambdas cannot read other columns, so "also direct" cannot be one row's flag.) `direct` is
-- the last column of the sorting key so that a replace-merge never collapses the two rows. Filled by a materialized view from `statements`, so it is written
-- by the same INSERT; replays collapse like `statements` (same key, same seq).
CREATE TABLE IF NOT EXISTS statement_keys
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
ORDER BY (store, kind, key, seq, direct);

CREATE MATERIALIZED VIEW IF NOT EXISTS statement_keys_mv TO statement_keys
AS SELECT
    store,
    k.1 AS kind,
    k.2 AS key,
    seq,
    k.3 AS direct,
    stored
FROM statements
ARRAY JOIN arrayConcat(
    arrayMap(x -> ('agent', x, toUInt8(1)), agents),
    arrayMap(x -> ('agent', x, toUInt8(0)), related_agents),
    arrayMap(x -> ('verb', x, toUInt8(1)), verbs),
    arrayMap(x -> ('activity', x, toUInt8(1)), activities),
    arrayMap(x -> ('activity', x, toUInt8(0)), related_activities),
    arrayMap(x -> ('registration', x, toUInt8(1)), registrations)) AS k;

-- Statements projected before this migration.
INSERT INTO statement_keys
SELECT
    store,
    k.1 AS kind,
    k.2 AS key,
    seq,
    k.3 AS direct,
    stored
FROM statements
ARRAY JOIN arrayConcat(
    arrayMap(x -> ('agent', x, toUInt8(1)), agents),
    arrayMap(x -> ('agent', x, toUInt8(0)), related_agents),
    arrayMap(x -> ('verb', x, toUInt8(1)), verbs),
    arrayMap(x -> ('activity', x, toUInt8(1)), activities),
    arrayMap(x -> ('activity', x, toUInt8(0)), related_activities),
    arrayMap(x -> ('registration', x, toUInt8(1)), registrations)) AS k;
