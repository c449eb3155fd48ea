-- Values of one column with no safe conversion into ours, kept in discards (one row per id)
-- before the chunk is inserted without them. Bind: table, column, reason, null chunk?, after, up to.
INSERT INTO {discards} ("table_name", "row_id", "column_name", "column_value", "reason", "received_at", "uuid_ts")
SELECT CAST(%s AS {text}), s."id", CAST(%s AS {text}), min(CAST(s.{column} AS {text})), CAST(%s AS {text}),
       min(s."received_at"), CURRENT_TIMESTAMP
FROM {source} AS s
WHERE ((%s AND s."received_at" IS NULL) OR (s."received_at" > %s AND s."received_at" <= %s))
  AND s.{column} IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM {target} AS t WHERE t."id" = s."id")
GROUP BY s."id"
