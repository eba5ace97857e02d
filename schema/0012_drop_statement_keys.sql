-- `statement_key_index` (0011) replaced `statement_keys`; its rows were copied there.
DROP TABLE IF EXISTS statement_keys;
