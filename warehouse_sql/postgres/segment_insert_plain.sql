-- The fast first try when our table has its primary key: a plain INSERT ... SELECT of the chunk.
-- A fresh merge's chunk usually holds only new ids; if not, the key refuses it, the savepoint
-- rolls back, and segment_insert_on_conflict.sql does the careful insert. Bind: null chunk?, after, up to.
INSERT INTO {target} ({columns})
SELECT {expressions}
FROM {source} AS s
WHERE (%s AND s."received_at" IS NULL) OR (s."received_at" > %s AND s."received_at" <= %s)
