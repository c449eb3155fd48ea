-- users: per id and per column, the latest non-null value by received_at over the stored row and
-- the staged identifies (ties keep the stored row), written back with one atomic MERGE.
MERGE {target} AS t
USING (
    SELECT DISTINCT `id`, {picked}
    FROM (
        SELECT {columns}, 0 AS `__eventyard_src`, 0 AS `__eventyard_row`
        FROM {target}
        WHERE `id` IN (SELECT `id` FROM {stage})
        UNION ALL
        SELECT {stage_columns}, 1 AS `__eventyard_src`, `__eventyard_row`
        FROM {stage}
    ) AS candidates
) AS s
ON t.`id` = s.`id`
WHEN MATCHED THEN UPDATE SET {assignments}
WHEN NOT MATCHED THEN INSERT ({columns}) VALUES ({source_columns})
