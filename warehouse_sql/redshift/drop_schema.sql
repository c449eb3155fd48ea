-- Drop a schema and its tables: a write-audit-publish staging schema once its batch is published,
-- or a benchmark's throw-away schema.
DROP SCHEMA IF EXISTS {schema} CASCADE
