-- What is left of a Segment table when it fits in one chunk: its last received_at and rows
-- (no ranking sort needed). Bind: after, cutover.
SELECT max("received_at") AS hi, count(*) AS row_count
FROM {source}
WHERE "received_at" > ? AND "received_at" < ?
