-- One pass over an event table for the key and time checks and the volume series (bind: future
-- bound; the allowed timestamp - received_at skew in milliseconds as its lower and upper bound; window start; then the start and end of
-- the last full hour and of the same hour on each of the 7 days before: hour_0 .. hour_7).
-- duplicate_ids: quality_duplicate_ids, or 0 where a unique index on id rules repeats out.
-- Times are bound as ISO-8601 text.
SELECT COUNT(*) AS row_count,
       COUNT(*) - COUNT({id}) AS null_ids,
       {duplicate_ids} AS duplicate_ids,
       SUM(CASE WHEN {received_at} IS NULL THEN 1 ELSE 0 END) AS null_received_at,
       SUM(CASE WHEN {received_at} > TIMESTAMP(?) THEN 1 ELSE 0 END) AS future_received_at,
       SUM(CASE WHEN TIMESTAMP_DIFF({timestamp}, {received_at}, MILLISECOND) < ?
                  OR TIMESTAMP_DIFF({timestamp}, {received_at}, MILLISECOND) > ? THEN 1 ELSE 0 END) AS skewed_timestamps,
       SUM(CASE WHEN {received_at} >= TIMESTAMP(?) THEN 1 ELSE 0 END) AS window_rows,
       MAX({received_at}) AS newest,
       SUM(CASE WHEN {received_at} >= TIMESTAMP(?) AND {received_at} < TIMESTAMP(?) THEN 1 ELSE 0 END) AS hour_0,
       SUM(CASE WHEN {received_at} >= TIMESTAMP(?) AND {received_at} < TIMESTAMP(?) THEN 1 ELSE 0 END) AS hour_1,
       SUM(CASE WHEN {received_at} >= TIMESTAMP(?) AND {received_at} < TIMESTAMP(?) THEN 1 ELSE 0 END) AS hour_2,
       SUM(CASE WHEN {received_at} >= TIMESTAMP(?) AND {received_at} < TIMESTAMP(?) THEN 1 ELSE 0 END) AS hour_3,
       SUM(CASE WHEN {received_at} >= TIMESTAMP(?) AND {received_at} < TIMESTAMP(?) THEN 1 ELSE 0 END) AS hour_4,
       SUM(CASE WHEN {received_at} >= TIMESTAMP(?) AND {received_at} < TIMESTAMP(?) THEN 1 ELSE 0 END) AS hour_5,
       SUM(CASE WHEN {received_at} >= TIMESTAMP(?) AND {received_at} < TIMESTAMP(?) THEN 1 ELSE 0 END) AS hour_6,
       SUM(CASE WHEN {received_at} >= TIMESTAMP(?) AND {received_at} < TIMESTAMP(?) THEN 1 ELSE 0 END) AS hour_7
FROM {target}
