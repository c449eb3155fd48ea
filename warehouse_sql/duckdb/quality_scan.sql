-- One pass over an event table for the key and time checks and the volume series (bind: future
-- bound; the allowed timestamp - received_at skew as an interval, twice; window start; then the start and end of
-- the last full hour and of the same hour on each of the 7 days before: hour_0 .. hour_7).
-- duplicate_ids: quality_duplicate_ids, or 0 where a unique index on id rules repeats out.
SELECT count(*) AS row_count,
       count(*) - count({id}) AS null_ids,
       {duplicate_ids} AS duplicate_ids,
       count(*) FILTER (WHERE {received_at} IS NULL) AS null_received_at,
       count(*) FILTER (WHERE {received_at} > ?) AS future_received_at,
       count(*) FILTER (WHERE {timestamp} < {received_at} - ? OR {timestamp} > {received_at} + ?) AS skewed_timestamps,
       count(*) FILTER (WHERE {received_at} >= ?) AS window_rows,
       max({received_at}) AS newest,
       count(*) FILTER (WHERE {received_at} >= ? AND {received_at} < ?) AS hour_0,
       count(*) FILTER (WHERE {received_at} >= ? AND {received_at} < ?) AS hour_1,
       count(*) FILTER (WHERE {received_at} >= ? AND {received_at} < ?) AS hour_2,
       count(*) FILTER (WHERE {received_at} >= ? AND {received_at} < ?) AS hour_3,
       count(*) FILTER (WHERE {received_at} >= ? AND {received_at} < ?) AS hour_4,
       count(*) FILTER (WHERE {received_at} >= ? AND {received_at} < ?) AS hour_5,
       count(*) FILTER (WHERE {received_at} >= ? AND {received_at} < ?) AS hour_6,
       count(*) FILTER (WHERE {received_at} >= ? AND {received_at} < ?) AS hour_7
FROM {target}
