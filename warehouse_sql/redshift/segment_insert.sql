-- One chunk of a Segment table into ours: explicit column lists in our table's order, each value
-- converted by the plan's rule; one row per id, and only ids our table does not have yet.
-- Bind: null chunk?, after, up to (the chunk is the rows without received_at, or (after, up to]).
INSERT INTO {target} ({columns})
SELECT {columns} FROM (
    SELECT {expressions}, row_number() OVER (PARTITION BY s."id" ORDER BY s."received_at") AS "__eventyard_row"
    FROM {source} AS s
    WHERE (%s AND s."received_at" IS NULL) OR (s."received_at" > %s AND s."received_at" <= %s)
) AS c
WHERE c."__eventyard_row" = 1 AND NOT EXISTS (SELECT 1 FROM {target} AS t WHERE t."id" = c."id")
