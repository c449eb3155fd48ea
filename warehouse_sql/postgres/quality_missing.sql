-- How many of a table's expected ids (staged with the table's name) the table lacks (bind: table).
-- The stage is analyzed first: a temp table has no statistics, and without them the planner
-- picks a nested loop over the wide target.
ANALYZE {stage};
SELECT count(*) AS missing
FROM {stage} AS s
WHERE s.{table_name} = %s AND NOT EXISTS (SELECT 1 FROM {target} AS t WHERE t.{id} = s.{id})
