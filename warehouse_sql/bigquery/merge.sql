-- Insert the staged rows whose key is new (Dialect.merge already kept one row per key). One MERGE
-- is atomic, and rows already loaded are left untouched, so re-running a load changes nothing.
MERGE {target} AS t
USING (SELECT {columns} FROM {stage}) AS s
ON {key_match}
WHEN NOT MATCHED THEN INSERT ({columns}) VALUES ({source_columns})
