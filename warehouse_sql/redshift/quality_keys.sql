-- The key check of a table without event timestamps (users): null and repeated ids.
SELECT count(*) AS row_count,
       count(*) - count({id}) AS null_ids,
       count({id}) - count(DISTINCT {id}) AS duplicate_ids
FROM {target}
