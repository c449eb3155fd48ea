-- Percentiles of timestamp - received_at in seconds over [since, until) (bind since, until).
SELECT count({timestamp}) AS "row_count",
       min(epoch({timestamp}) - epoch({received_at})) AS "p0",
       quantile_cont(epoch({timestamp}) - epoch({received_at}), 0.05) AS "p5",
       quantile_cont(epoch({timestamp}) - epoch({received_at}), 0.5) AS "p50",
       quantile_cont(epoch({timestamp}) - epoch({received_at}), 0.95) AS "p95",
       quantile_cont(epoch({timestamp}) - epoch({received_at}), 0.99) AS "p99",
       max(epoch({timestamp}) - epoch({received_at})) AS "p100"
FROM {table}
WHERE {received_at} >= CAST(? AS TIMESTAMPTZ) AND {received_at} < CAST(? AS TIMESTAMPTZ)
