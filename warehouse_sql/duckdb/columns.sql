-- A table's columns and their types (bind schema, table); no row: the table does not exist.
SELECT column_name, data_type FROM information_schema.columns
WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position
