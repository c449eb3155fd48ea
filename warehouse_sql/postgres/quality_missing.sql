-- How many of a table's expected ids (staged with the table's name) the table lacks (bind: table).
SELECT count(*) AS missing
FROM {stage} AS s
WHERE s.{table_name} = %s AND NOT EXISTS (SELECT 1 FROM {target} AS t WHERE t.{id} = s.{id})
