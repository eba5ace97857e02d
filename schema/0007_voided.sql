-- Voided statements, one row each, so that aggregates can leave them out without looking for
-- them: `seq` is the voided statement's sequence number; `at_seq` is where the projection learnt
-- it, max(seq, seq of the first statement that voided it) (`discard_after` trims by `at_seq`);
-- `stored`, `hour` (its timestamp's UTC hour) and `actor_ifi` are copied from its `statements`
-- row. Written by the adapter with each projected batch (INSERT ... SELECT from `statements`),
-- from the retractions the projector derives from the log; replays collapse like `statements`.
CREATE TABLE IF NOT EXISTS voided
(
    store UUID,
    seq UInt64,
    at_seq UInt64,
    stored DateTime,
    hour DateTime,
    actor_ifi String
)
ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(stored)
ORDER BY (store, seq, at_seq);

-- Every statement by store, UTC hour of its timestamp and actor (cityHash64 of `actor_ifi`), with
-- the columns `statements_hourly` aggregates: what the hourly plan reads to recompute the few
-- (hour, actor) blocks that hold a voided statement. Contiguous blocks and small granules, so a
-- block costs a few kilobytes to read.
CREATE TABLE IF NOT EXISTS actor_hours
(
    store UUID,
    hour DateTime,
    actor UInt64,
    seq UInt64,
    stored DateTime,
    actor_ifi String,
    verb String,
    object_id String,
    activity_type String,
    success Nullable(UInt8),
    completion Nullable(UInt8),
    score_scaled Nullable(Float64),
    score_raw Nullable(Float64),
    duration_ms Nullable(Int64)
)
ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(stored)
ORDER BY (store, hour, actor, seq)
SETTINGS index_granularity = 256;

CREATE MATERIALIZED VIEW IF NOT EXISTS actor_hours_mv TO actor_hours
AS SELECT
    store,
    toStartOfHour(timestamp, 'UTC') AS hour,
    cityHash64(actor_ifi) AS actor,
    seq,
    stored,
    actor_ifi,
    verb,
    object_id,
    activity_type,
    success,
    completion,
    score_scaled,
    score_raw,
    duration_ms
FROM statements;
