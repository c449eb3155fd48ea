-- The same when our table has a unique key on id (ours do): the insert probes the index it
-- maintains anyway, which also drops repeats of an id inside the chunk.
-- Bind: null chunk?, after, up to.
INSERT INTO {target} ({columns})
SELECT {expressions}
FROM {source} AS s
WHERE (%s AND s."received_at" IS NULL) OR (s."received_at" > %s AND s."received_at" <= %s)
ON CONFLICT ("id") DO NOTHING
