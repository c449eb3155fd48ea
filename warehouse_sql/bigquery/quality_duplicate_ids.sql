-- The ids of a table repeated (an expression of quality_scan).
COUNT({id}) - COUNT(DISTINCT {id})
