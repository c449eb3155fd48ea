-- Non-null values per column in [since, until) (bind since, until); {counts} is COUNT(`c`) AS `f_i`, ...
SELECT COUNT(*) AS `row_count`, {counts}
FROM {table}
WHERE {received_at} >= TIMESTAMP(?) AND {received_at} < TIMESTAMP(?)
