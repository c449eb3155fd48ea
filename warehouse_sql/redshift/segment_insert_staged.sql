-- The COPYed chunk into ours: explicit column lists, one row per id, only ids we lack.
INSERT INTO {target} ({columns})
SELECT {columns} FROM (
    SELECT {columns}, row_number() OVER (PARTITION BY "id" ORDER BY "received_at") AS "__eventyard_row"
    FROM {stage}
) AS c
WHERE c."__eventyard_row" = 1 AND NOT EXISTS (SELECT 1 FROM {target} AS t WHERE t."id" = c."id")
