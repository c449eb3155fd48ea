-- Whether the target has a primary key or unique constraint on exactly these columns (bind
-- schema, table, sorted column names). Our DuckDB tables have none (see the dialect).
SELECT 1 FROM duckdb_constraints()
WHERE schema_name = ? AND table_name = ? AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')
AND list_sort(constraint_column_names) = ?
