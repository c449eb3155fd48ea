CREATE TEMP TABLE {merged} AS
SELECT {id}, {aggregates}
FROM (
    SELECT {columns}, 0 AS "__eventyard_src", 0 AS "__eventyard_row"
    FROM {target} WHERE {id} IN (SELECT {id} FROM {stage})
    UNION ALL
    SELECT {stage_columns}, 1 AS "__eventyard_src", "__eventyard_row" FROM {stage}
) AS candidates
GROUP BY {id}
