-- A table's columns and their types (bind schema, table); no row: the table does not exist.
SELECT column_name, data_type FROM information_schema.columns
WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position
