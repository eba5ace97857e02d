-- The raw projection: one row per statement, keyed by the event log's sequence number.
--
-- Replays of the log insert the same (store, seq) again; ReplacingMergeTree collapses such
-- duplicates when parts merge, and readers that must see each statement once GROUP BY seq (or
-- use FINAL) until then. Time is epoch microseconds in Int64 beside a second-precision DateTime
-- (DateTime64 is not available everywhere); partitions are months of `stored`, so archiving and
-- retention are partition operations.
CREATE TABLE IF NOT EXISTS statements
(
    store UUID,
    seq UInt64,
    statement_id UUID,
    stored DateTime,
    stored_us Int64,
    timestamp DateTime,
    timestamp_us Int64,
    version String,
    actor_ifi String,
    verb String,
    object_type String,
    object_id String,
    activity_type String,
    registration String,
    agents Array(String),
    related_agents Array(String),
    verbs Array(String),
    activities Array(String),
    related_activities Array(String),
    registrations Array(String),
    context_parent Array(String),
    context_grouping Array(String),
    context_category Array(String),
    context_other Array(String),
    score_scaled Nullable(Float64),
    score_raw Nullable(Float64),
    score_min Nullable(Float64),
    score_max Nullable(Float64),
    success Nullable(UInt8),
    completion Nullable(UInt8),
    duration_ms Nullable(Int64),
    platform String,
    language String,
    authority String,
    voids String,
    attachments Array(String),
    statement String
)
ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(stored)
ORDER BY (store, seq);
