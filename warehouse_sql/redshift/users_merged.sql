-- users: per id and per column, the latest non-null value by received_at, over the rows already
-- in the table and the staged identifies (ties keep the stored row). FIRST_VALUE with NULLs
-- sorted last is the portable form of LAST_VALUE(... IGNORE NULLS), so Postgres runs it too.
CREATE TEMP TABLE {merged} AS
SELECT DISTINCT "id", {picked}
FROM (
    SELECT {columns}, 0 AS "__eventyard_src", 0 AS "__eventyard_row"
    FROM {target}
    WHERE "id" IN (SELECT "id" FROM {stage})
    UNION ALL
    SELECT {stage_columns}, 1 AS "__eventyard_src", "__eventyard_row"
    FROM {stage}
) AS candidates
