-- Hourly aggregates of `statements`, kept by a materialized view: one row per
-- store x stored hour x timestamp hour (UTC) x verb x activity (object id) x activity type x actor,
-- holding -State combinators that readers finish with -Merge (countMerge, uniqExactMerge, ...).
--
-- `stored_hour` (the hour of `stored`, which is monotonic with `seq`) is part of the key so that
-- `discard_after` can stay exact: it deletes every row from the hour of the first discarded
-- statement on and rebuilds those hours from `statements` (see schema/README.md).
-- Numeric measures use -If on isNotNull, so an absent score is neither 0 nor counted.
CREATE TABLE IF NOT EXISTS statements_hourly
(
    store UUID,
    stored_hour DateTime,
    hour DateTime,
    verb String,
    object_id String,
    activity_type String,
    actor_ifi String,
    statements AggregateFunction(count),
    actors AggregateFunction(uniqExact, String),
    successes AggregateFunction(countIf, UInt8),
    completions AggregateFunction(countIf, UInt8),
    score_scaled_n AggregateFunction(countIf, UInt8),
    score_scaled_sum AggregateFunction(sumIf, Float64, UInt8),
    score_scaled_min AggregateFunction(minIf, Float64, UInt8),
    score_scaled_max AggregateFunction(maxIf, Float64, UInt8),
    score_raw_n AggregateFunction(countIf, UInt8),
    score_raw_sum AggregateFunction(sumIf, Float64, UInt8),
    score_raw_min AggregateFunction(minIf, Float64, UInt8),
    score_raw_max AggregateFunction(maxIf, Float64, UInt8),
    duration_ms_n AggregateFunction(countIf, UInt8),
    duration_ms_sum AggregateFunction(sumIf, Int64, UInt8),
    duration_ms_min AggregateFunction(minIf, Int64, UInt8),
    duration_ms_max AggregateFunction(maxIf, Int64, UInt8)
)
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(stored_hour)
ORDER BY (store, hour, verb, object_id, activity_type, actor_ifi, stored_hour);

CREATE MATERIALIZED VIEW IF NOT EXISTS statements_hourly_mv TO statements_hourly
AS SELECT
    store,
    toStartOfHour(stored, 'UTC') AS stored_hour,
    toStartOfHour(timestamp, 'UTC') AS hour,
    verb,
    object_id,
    activity_type,
    actor_ifi,
    countState() AS statements,
    uniqExactState(actor_ifi) AS actors,
    countIfState(ifNull(success, 0) = 1) AS successes,
    countIfState(ifNull(completion, 0) = 1) AS completions,
    countIfState(isNotNull(score_scaled)) AS score_scaled_n,
    sumIfState(ifNull(score_scaled, 0), isNotNull(score_scaled)) AS score_scaled_sum,
    minIfState(ifNull(score_scaled, 0), isNotNull(score_scaled)) AS score_scaled_min,
    maxIfState(ifNull(score_scaled, 0), isNotNull(score_scaled)) AS score_scaled_max,
    countIfState(isNotNull(score_raw)) AS score_raw_n,
    sumIfState(ifNull(score_raw, 0), isNotNull(score_raw)) AS score_raw_sum,
    minIfState(ifNull(score_raw, 0), isNotNull(score_raw)) AS score_raw_min,
    maxIfState(ifNull(score_raw, 0), isNotNull(score_raw)) AS score_raw_max,
    countIfState(isNotNull(duration_ms)) AS duration_ms_n,
    sumIfState(ifNull(duration_ms, 0), isNotNull(duration_ms)) AS duration_ms_sum,
    minIfState(ifNull(duration_ms, 0), isNotNull(duration_ms)) AS duration_ms_min,
    maxIfState(ifNull(duration_ms, 0), isNotNull(duration_ms)) AS duration_ms_max
FROM statements
GROUP BY store, stored_hour, hour, verb, object_id, activity_type, actor_ifi;
