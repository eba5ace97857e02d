-- Extensions in the projection: every extension of result.extensions, context.extensions and
-- the object activity's definition.extensions, as parallel arrays (18.16 has no Map and no JSON
-- functions). `ext_keys[i]` is the full path (`result.extensions.<IRI>`,
-- `context.extensions.<IRI>`, `object.definition.extensions.<IRI>`), `ext_values[i]` the value's
-- text: a JSON string's content, else the compact JSON (numbers as serde_json prints them,
-- object keys sorted). Rows projected before this migration have empty arrays until
-- `cairn reproject`.
--
-- 18.16 has no ADD COLUMN IF NOT EXISTS: the runner skips an `ALTER TABLE t ADD COLUMN c`
-- whose column already exists (see schema/README.md), one column per statement.
ALTER TABLE statements ADD COLUMN ext_keys Array(String);

ALTER TABLE statements ADD COLUMN ext_values Array(String);

-- query_values also records extensions: each key under its container path (path
-- `result.extensions`, value `<IRI>`) and each value under its full path (path
-- `result.extensions.<IRI>`, value the text). 18.16 cannot alter a view's query, so the view is
-- dropped and created again; `query_values` keeps its rows.
DROP TABLE IF EXISTS query_values_mv;

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
    arrayMap(x -> ('context.other', x), context_other),
    arrayMap(k -> (substring(k, 1, position(k, 'extensions.') + 9),
                   substring(k, position(k, 'extensions.') + 11)), ext_keys),
    arrayMap((k, v) -> (k, v), ext_keys, ext_values))) AS pair
GROUP BY store, month, path, value;
