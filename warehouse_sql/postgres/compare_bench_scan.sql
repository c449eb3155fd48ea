-- eventyard bench compare's ceiling: one plain scan of a table's rows in the window (bind since, until).
SELECT count(*) AS "row_count" FROM {table}
WHERE {received_at} >= CAST(%s AS timestamptz) AND {received_at} < CAST(%s AS timestamptz)
