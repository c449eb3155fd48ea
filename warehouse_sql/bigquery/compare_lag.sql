-- Percentiles of timestamp - received_at in seconds over [since, until) (bind since, until);
-- APPROX_QUANTILES: BigQuery's PERCENTILE_CONT is an analytic function only.
SELECT COUNT({timestamp}) AS `row_count`,
       MIN(TIMESTAMP_DIFF({timestamp}, {received_at}, MILLISECOND) / 1000) AS `p0`,
       APPROX_QUANTILES(TIMESTAMP_DIFF({timestamp}, {received_at}, MILLISECOND) / 1000, 100)[OFFSET(5)] AS `p5`,
       APPROX_QUANTILES(TIMESTAMP_DIFF({timestamp}, {received_at}, MILLISECOND) / 1000, 100)[OFFSET(50)] AS `p50`,
       APPROX_QUANTILES(TIMESTAMP_DIFF({timestamp}, {received_at}, MILLISECOND) / 1000, 100)[OFFSET(95)] AS `p95`,
       APPROX_QUANTILES(TIMESTAMP_DIFF({timestamp}, {received_at}, MILLISECOND) / 1000, 100)[OFFSET(99)] AS `p99`,
       MAX(TIMESTAMP_DIFF({timestamp}, {received_at}, MILLISECOND) / 1000) AS `p100`
FROM {table}
WHERE {received_at} >= TIMESTAMP(?) AND {received_at} < TIMESTAMP(?)
