-- Per hour of received_at (and per {key}: tracks' event) in [since, until): rows and distinct
-- anonymous and user ids (bind since, until as ISO-8601 text).
SELECT TIMESTAMP_TRUNC({received_at}, HOUR) AS `hour`, {key} AS `key`, COUNT(*) AS `row_count`,
       COUNT(DISTINCT {anonymous_id}) AS `anonymous_ids`, COUNT(DISTINCT {user_id}) AS `user_ids`
FROM {table}
WHERE {received_at} >= TIMESTAMP(?) AND {received_at} < TIMESTAMP(?)
GROUP BY 1, 2
