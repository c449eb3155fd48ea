-- Per hour of received_at (and per {key}: tracks' event) in [since, until): rows and distinct
-- anonymous and user ids (bind since, until as ISO-8601 text).
SELECT date_trunc('hour', {received_at}) AS "hour", {key} AS "key", count(*) AS "row_count",
       count(DISTINCT {anonymous_id}) AS "anonymous_ids", count(DISTINCT {user_id}) AS "user_ids"
FROM {table}
WHERE {received_at} >= CAST(%s AS timestamptz) AND {received_at} < CAST(%s AS timestamptz)
GROUP BY 1, 2
