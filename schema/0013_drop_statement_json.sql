-- The statement's JSON leaves `statements`: ClickHouse answers which statements (their `seq`,
-- the position in Cairn's event log) and Cairn reads the bodies from its log. The column was
-- about a quarter of the bytes stored per statement. The runner skips this statement when the
-- column is already gone (18.16 has no DROP COLUMN IF EXISTS).
ALTER TABLE statements DROP COLUMN statement;
