-- The key check of a table without event timestamps (users): null and repeated ids.
SELECT COUNT(*) AS row_count,
       COUNT(*) - COUNT({id}) AS null_ids,
       COUNT({id}) - COUNT(DISTINCT {id}) AS duplicate_ids
FROM {target}
