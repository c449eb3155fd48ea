-- Drop a dataset and its tables: a write-audit-publish staging dataset once its batch is published.
DROP SCHEMA IF EXISTS {schema} CASCADE
