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

-- Every statement by store, UTC hour of its timestamp and actor (cityHash64 of `actor_ifi`): the
-- index the hourly plan uses to recompute, from `statements`, the few (hour, actor) blocks that
-- hold a voided statement. Narrow rows and small granules, so a lookup reads little.
CREATE TABLE IF NOT EXISTS actor_hours
(
    store UUID,
    hour DateTime,
    actor UInt64,
    seq UInt64,
    stored DateTime
)
ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(stored)
ORDER BY (store, hour, actor, seq)
SETTINGS index_granularity = 1024;

CREATE MATERIALIZED VIEW IF NOT EXISTS actor_hours_mv TO actor_hours
AS SELECT
    store,
    toStartOfHour(timestamp, 'UTC') AS hour,
    cityHash64(actor_ifi) AS actor,
    seq,
    stored
FROM statements;
