-- Voided statements: (store, voided statement id, sequence number of the voiding statement).
-- Filled by a materialized view from `statements`, so a voiding statement and its voids row are
-- written by the same INSERT and can never drift apart; replays collapse like `statements`.
-- Filtered reads exclude `statement_id IN (SELECT voided_id FROM voids WHERE store = ...)`.
CREATE TABLE IF NOT EXISTS voids
(
    store UUID,
    voided_id UUID,
    seq UInt64,
    stored DateTime
)
ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(stored)
ORDER BY (store, voided_id, seq);

CREATE MATERIALIZED VIEW IF NOT EXISTS voids_mv TO voids
AS SELECT
    store,
    toUUID(voids) AS voided_id,
    seq,
    stored
FROM statements
WHERE voids != '';
