-- The chunk UNLOAD writes: our columns, in our order and types (bounds are timestamp literals).
SELECT {expressions} FROM {source} AS s
WHERE ({is_null} AND s."received_at" IS NULL) OR (s."received_at" > {lo} AND s."received_at" <= {hi})
