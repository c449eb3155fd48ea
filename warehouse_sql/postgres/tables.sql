-- The tables of a schema (bind schema), sorted.
SELECT table_name FROM information_schema.tables
WHERE table_schema = %s AND table_type = 'BASE TABLE' ORDER BY table_name
