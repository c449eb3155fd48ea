-- Rows per hour of received_at (bind: from, to): the volume check's series.
SELECT date_trunc('hour', {received_at}) AS hour, count(*) AS row_count
FROM {target}
WHERE {received_at} >= %s AND {received_at} < %s
GROUP BY 1
