-- Insert the staged rows whose key is new (Dialect.merge already kept one row per key).
-- Rows already loaded are left untouched, so re-running a load changes nothing, not even uuid_ts.
INSERT INTO {target} ({columns})
SELECT {columns} FROM {stage} AS s
WHERE NOT EXISTS (SELECT 1 FROM {target} AS t WHERE {key_match})
