-- Reconciliation: Segment rows before the cutover whose id is not in our table (must be 0). Bind: cutover.
SELECT count(*) AS missing FROM {source} AS s
WHERE (s."received_at" < %s OR s."received_at" IS NULL)
  AND NOT EXISTS (SELECT 1 FROM {target} AS t WHERE t."id" = s."id")
