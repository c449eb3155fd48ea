-- The ids of a table repeated (an expression of quality_scan).
count({id}) - count(DISTINCT {id})
