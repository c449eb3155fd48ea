-- The 50 most frequent values of one column (page paths, event names) in [since, until) (bind since, until).
SELECT CAST({column} AS STRING) AS `value`, COUNT(*) AS `row_count`
FROM {table}
WHERE {received_at} >= TIMESTAMP(?) AND {received_at} < TIMESTAMP(?)
GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 50
