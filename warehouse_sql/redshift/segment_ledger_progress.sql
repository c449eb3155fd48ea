-- What is committed of one table's merge at this cutover: where to resume, and the sums.
SELECT max("chunk_hi") AS hi, count(*) AS chunks,
       count(CASE WHEN "chunk_hi" IS NULL THEN 1 END) AS null_chunks,
       coalesce(sum("row_count"), 0) AS row_count, coalesce(sum("merged"), 0) AS merged,
       coalesce(sum("discarded"), 0) AS discarded
FROM {ledger}
WHERE "segment_schema" = %s AND "table_name" = %s AND "cutover" = %s
