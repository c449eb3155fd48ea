-- Which of the batch's ids the target already has: probe the primary key per id, as a hash
-- or merge join would read the whole (wide) target on every load.
SET LOCAL enable_hashjoin = off;
SET LOCAL enable_mergejoin = off;
SELECT t."id" FROM {target} AS t JOIN {ids} AS s ON t."id" = s."id"
