-- How many of the ids staged for a table (distinct) the table lacks.
SELECT COUNT(*) AS missing
FROM {stage} AS s
WHERE NOT EXISTS (SELECT 1 FROM {target} AS t WHERE t.{id} = s.{id})
