-- Which persona holds each agent identifier of a store, as of the persona event `seq`: one row
-- per (store, identifier, event), written by the projector from the persona events of the log.
-- `persona` is the persona id, or '' once no persona holds the identifier (it is then its own
-- implicit persona). The current mapping is the row with the highest `seq` per identifier:
--
--   SELECT ifi, argMax(persona, seq) AS persona_id FROM persona_identifiers
--   WHERE store = … GROUP BY ifi
--
-- Queries join it at read time on `actor_ifi` (statements and statements_hourly), so a merge or
-- split changes every aggregate at once without rewriting a statement.
CREATE TABLE IF NOT EXISTS persona_identifiers
(
    store UUID,
    ifi String,
    persona String,
    seq UInt64
)
ENGINE = ReplacingMergeTree(seq)
ORDER BY (store, ifi, seq);
