-- Values of one column with no safe conversion into ours, kept in discards (one row per id)
-- before the chunk is inserted without them. Bind: table, column, reason, null chunk?, after, up to.
INSERT INTO {discards} ("table_name", "row_id", "column_name", "column_value", "reason", "received_at", "uuid_ts")
SELECT CAST(? AS {text}), s."id", CAST(? AS {text}), min(CAST(s.{column} AS {text})), CAST(? AS {text}),
       min(s."received_at"), CURRENT_TIMESTAMP
FROM {source} AS s
WHERE ((? AND s."received_at" IS NULL) OR (s."received_at" > ? AND s."received_at" <= ?))
  AND s.{column} IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM {target} AS t WHERE t."id" = s."id")
GROUP BY s."id"
