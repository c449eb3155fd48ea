-- The tables of a schema that hold events (those with a received_at column), bind schema.
SELECT table_name FROM information_schema.columns
WHERE table_schema = %s AND column_name = 'received_at' ORDER BY table_name
