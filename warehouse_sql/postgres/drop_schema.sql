-- Drop a write-audit-publish staging schema and its tables once its batch is published.
DROP SCHEMA IF EXISTS {schema} CASCADE
