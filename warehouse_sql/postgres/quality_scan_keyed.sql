-- quality_scan for a table with a unique index on id, which rules repeated ids out (no
-- DISTINCT over every id). Bind: future bound, the timestamp skew twice, window start.
SELECT count(*) AS row_count,
       count(*) - count({id}) AS null_ids,
       0 AS duplicate_ids,
       count(*) FILTER (WHERE {received_at} IS NULL) AS null_received_at,
       count(*) FILTER (WHERE {received_at} > %s) AS future_received_at,
       count(*) FILTER (WHERE {timestamp} < {received_at} - %s OR {timestamp} > {received_at} + %s) AS skewed_timestamps,
       count(*) FILTER (WHERE {received_at} >= %s) AS window_rows,
       max({received_at}) AS newest
FROM {target}
