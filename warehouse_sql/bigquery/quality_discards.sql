-- Values discarded per table since the window start (bind: window start as ISO-8601 text).
SELECT {table_name} AS table_name, COUNT(*) AS discarded
FROM {target}
WHERE {received_at} >= TIMESTAMP(?)
GROUP BY {table_name}
