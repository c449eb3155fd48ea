-- Redshift adds one column per ALTER TABLE and has no ADD COLUMN IF NOT EXISTS: the dialect
-- checks information_schema first, under the table lock.
ALTER TABLE {table} ADD COLUMN {column} {type}
