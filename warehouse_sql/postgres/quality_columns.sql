-- Every column of every table in a schema (bind schema): the schema-drift check's snapshot.
SELECT table_name, column_name, data_type FROM information_schema.columns
WHERE table_schema = %s ORDER BY table_name, ordinal_position
