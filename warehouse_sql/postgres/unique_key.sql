-- Whether the target has a unique index on exactly these columns (bind schema, table, sorted
-- column names). Segment's own tables may have none: then the merge takes the anti-join path.
SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relname = %s AND i.indisunique
AND (SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_attribute a
     WHERE a.attrelid = c.oid AND a.attnum = ANY(i.indkey)) = %s
