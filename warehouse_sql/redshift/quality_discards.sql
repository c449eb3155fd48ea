-- Values discarded per table since the window start (bind: window start).
SELECT {table_name} AS table_name, count(*) AS discarded
FROM {target}
WHERE {received_at} >= %s
GROUP BY {table_name}
