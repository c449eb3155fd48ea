-- Every column of every table in a schema (bind schema): the schema-drift check's snapshot.
-- A VARCHAR's length is part of its type on Redshift (a hand-run ALTER changes only the length).
SELECT table_name, column_name,
       CASE WHEN character_maximum_length IS NULL THEN data_type
            ELSE data_type || '(' || CAST(character_maximum_length AS VARCHAR(16)) || ')' END AS data_type
FROM information_schema.columns
WHERE table_schema = %s ORDER BY table_name, ordinal_position
