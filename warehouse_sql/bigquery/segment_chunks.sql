-- The chunks of a Segment table still to merge: received_at ranges (after the last committed
-- chunk, before the cutover) of about {chunk_rows} rows each, with their exact row counts.
-- rank() gives rows sharing a received_at one number, so they always fall into one chunk and a
-- chunk is exactly (previous hi, hi]. Bind: chunk rows, after, cutover.
SELECT max(`r`) AS hi, count(*) AS row_count
FROM (
    SELECT `received_at` AS `r`, DIV(rank() OVER (ORDER BY `received_at`) - 1, ?) AS `b`
    FROM {source}
    WHERE `received_at` > ? AND `received_at` < ?
) AS ranked
GROUP BY `b`
ORDER BY hi
