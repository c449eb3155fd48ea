-- Rows of a stage whose id our table does not have yet (users merged rather than updated).
SELECT count(*) AS new_rows FROM {stage} AS s WHERE NOT EXISTS (SELECT 1 FROM {target} AS t WHERE t.`id` = s.`id`)
