-- One pass over an event table for the key and time checks (bind: future bound, earliest and
-- latest allowed timestamp - received_at skew as intervals, window start).
SELECT count(*) AS row_count,
       count(*) - count({id}) AS null_ids,
       count({id}) - count(DISTINCT {id}) AS duplicate_ids,
       count(*) FILTER (WHERE {received_at} IS NULL) AS null_received_at,
       count(*) FILTER (WHERE {received_at} > ?) AS future_received_at,
       count(*) FILTER (WHERE {timestamp} < {received_at} - ? OR {timestamp} > {received_at} + ?) AS skewed_timestamps,
       count(*) FILTER (WHERE {received_at} >= ?) AS window_rows,
       max({received_at}) AS newest
FROM {target}
