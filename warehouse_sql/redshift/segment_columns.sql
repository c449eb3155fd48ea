-- Every base table's columns in a schema, in ordinal order (bind schema, schema): the audit's
-- side-by-side listing (the seed's information_schema spreadsheet).
SELECT c.table_name, c.column_name, c.data_type, c.ordinal_position, c.character_maximum_length
FROM information_schema.columns AS c
JOIN information_schema.tables AS t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
WHERE c.table_schema = %s AND t.table_type = 'BASE TABLE' AND t.table_schema = %s
ORDER BY c.table_name, c.ordinal_position
