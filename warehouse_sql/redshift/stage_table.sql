-- The stage: a session temp table with the Parquet file's columns, in the file's order
-- (COPY from Parquet matches columns by position).
CREATE TEMP TABLE {stage} ({column_definitions})
