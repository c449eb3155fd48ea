-- The 50 most frequent values of one column (page paths, event names) in [since, until) (bind since, until).
SELECT CAST({column} AS text) AS "value", count(*) AS "row_count"
FROM {table}
WHERE {received_at} >= CAST(%s AS timestamptz) AND {received_at} < CAST(%s AS timestamptz)
GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 50
