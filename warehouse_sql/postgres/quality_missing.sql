-- How many of the ids staged for a table (distinct) the table lacks.
-- The stage is analyzed first: a temp table has no statistics, and without them the planner
-- picks a nested loop over the wide target.
ANALYZE {stage};
SELECT count(*) AS missing
FROM {stage} AS s
WHERE NOT EXISTS (SELECT 1 FROM {target} AS t WHERE t.{id} = s.{id})
