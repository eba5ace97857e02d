-- Every (path, value) seen per store and month, for the query builder's autocomplete: how many
-- statements carried it and when it was first and last stored (epoch microseconds). Filled by a
-- materialized view from `statements`; readers finish the states with -Merge and sum months.
--
-- The pseudo-path '' counts every statement of the month once: `discard_after` compares it with
-- `statements` to find the first month to rebuild (see schema/README.md).
CREATE TABLE IF NOT EXISTS query_values
(
    store UUID,
    month Date,
    path String,
    value String,
    statements AggregateFunction(count),
    first_seen_us AggregateFunction(min, Int64),
    last_seen_us AggregateFunction(max, Int64)
)
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(month)
ORDER BY (store, path, value, month);

CREATE MATERIALIZED VIEW IF NOT EXISTS query_values_mv TO query_values
AS SELECT
    store,
    toStartOfMonth(stored) AS month,
    pair.1 AS path,
    pair.2 AS value,
    countState() AS statements,
    minState(stored_us) AS first_seen_us,
    maxState(stored_us) AS last_seen_us
FROM statements
ARRAY JOIN arrayFilter(p -> p.1 = '' OR p.2 != '', arrayConcat(
    [('', ''), ('actor', actor_ifi), ('verb', verb), ('object.type', object_type),
     ('object.id', object_id), ('activity.type', activity_type), ('registration', registration),
     ('context.platform', platform), ('context.language', language), ('authority', authority),
     ('version', version)],
    arrayMap(x -> ('agents', x), agents),
    arrayMap(x -> ('context.parent', x), context_parent),
    arrayMap(x -> ('context.grouping', x), context_grouping),
    arrayMap(x -> ('context.category', x), context_category),
    arrayMap(x -> ('context.other', x), context_other))) AS pair
GROUP BY store, month, path, value;
