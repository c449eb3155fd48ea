-- Idempotent: a retried load that already added the column changes nothing.
ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {type}
