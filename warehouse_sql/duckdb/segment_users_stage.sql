-- One chunk of Segment's users, converted to our types, staged for the users upsert (latest
-- non-null value per trait by received_at). Bind: null chunk?, after, up to.
CREATE TEMP TABLE {stage} AS
SELECT {expressions}, row_number() OVER (ORDER BY s."received_at") AS "__eventyard_row"
FROM {source} AS s
WHERE (? AND s."received_at" IS NULL) OR (s."received_at" > ? AND s."received_at" <= ?)
