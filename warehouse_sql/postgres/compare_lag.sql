-- Percentiles of timestamp - received_at in seconds over [since, until) (bind since, until).
SELECT count({timestamp}) AS "row_count",
       min(EXTRACT(EPOCH FROM {timestamp}) - EXTRACT(EPOCH FROM {received_at})) AS "p0",
       percentile_cont(0.05) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM {timestamp}) - EXTRACT(EPOCH FROM {received_at})) AS "p5",
       percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM {timestamp}) - EXTRACT(EPOCH FROM {received_at})) AS "p50",
       percentile_cont(0.95) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM {timestamp}) - EXTRACT(EPOCH FROM {received_at})) AS "p95",
       percentile_cont(0.99) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM {timestamp}) - EXTRACT(EPOCH FROM {received_at})) AS "p99",
       max(EXTRACT(EPOCH FROM {timestamp}) - EXTRACT(EPOCH FROM {received_at})) AS "p100"
FROM {table}
WHERE {received_at} >= CAST(%s AS timestamptz) AND {received_at} < CAST(%s AS timestamptz)
