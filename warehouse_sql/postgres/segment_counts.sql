-- A Segment table's rows, those at or after the cutover, and those without received_at (bind cutover).
SELECT count(*) AS total,
       count(CASE WHEN "received_at" >= %s THEN 1 END) AS after_cutover,
       count(CASE WHEN "received_at" IS NULL THEN 1 END) AS null_received
FROM {source}
