-- Non-null values per column in [since, until) (bind since, until); {counts} is count("c") AS "f_i", ...
SELECT count(*) AS "row_count", {counts}
FROM {table}
WHERE {received_at} >= CAST(? AS TIMESTAMPTZ) AND {received_at} < CAST(? AS TIMESTAMPTZ)
