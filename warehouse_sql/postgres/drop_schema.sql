-- A throw-away schema of a benchmark, with its tables.
DROP SCHEMA {schema} CASCADE
