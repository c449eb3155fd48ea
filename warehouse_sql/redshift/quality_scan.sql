-- One pass over an event table for the key and time checks and the volume series (bind: future
-- bound; the allowed timestamp - received_at skew in seconds as its lower and upper bound; window start; then the start and end of
-- the last full hour and of the same hour on each of the 7 days before: hour_0 .. hour_7).
-- duplicate_ids: quality_duplicate_ids, or 0 where a unique index on id rules repeats out.
-- Redshift has no aggregate FILTER clause: sums of CASE. Its TIMESTAMP columns hold UTC (bind
-- naive UTC times).
SELECT count(*) AS row_count,
       count(*) - count({id}) AS null_ids,
       {duplicate_ids} AS duplicate_ids,
       sum(CASE WHEN {received_at} IS NULL THEN 1 ELSE 0 END) AS null_received_at,
       sum(CASE WHEN {received_at} > %s THEN 1 ELSE 0 END) AS future_received_at,
       sum(CASE WHEN EXTRACT(EPOCH FROM {timestamp}) - EXTRACT(EPOCH FROM {received_at}) < %s
                  OR EXTRACT(EPOCH FROM {timestamp}) - EXTRACT(EPOCH FROM {received_at}) > %s THEN 1 ELSE 0 END) AS skewed_timestamps,
       sum(CASE WHEN {received_at} >= %s THEN 1 ELSE 0 END) AS window_rows,
       max({received_at}) AS newest,
       sum(CASE WHEN {received_at} >= %s AND {received_at} < %s THEN 1 ELSE 0 END) AS hour_0,
       sum(CASE WHEN {received_at} >= %s AND {received_at} < %s THEN 1 ELSE 0 END) AS hour_1,
       sum(CASE WHEN {received_at} >= %s AND {received_at} < %s THEN 1 ELSE 0 END) AS hour_2,
       sum(CASE WHEN {received_at} >= %s AND {received_at} < %s THEN 1 ELSE 0 END) AS hour_3,
       sum(CASE WHEN {received_at} >= %s AND {received_at} < %s THEN 1 ELSE 0 END) AS hour_4,
       sum(CASE WHEN {received_at} >= %s AND {received_at} < %s THEN 1 ELSE 0 END) AS hour_5,
       sum(CASE WHEN {received_at} >= %s AND {received_at} < %s THEN 1 ELSE 0 END) AS hour_6,
       sum(CASE WHEN {received_at} >= %s AND {received_at} < %s THEN 1 ELSE 0 END) AS hour_7
FROM {target}
