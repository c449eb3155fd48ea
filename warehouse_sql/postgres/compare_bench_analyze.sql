-- eventyard bench compare: fresh planner statistics for a generated table.
ANALYZE {table}
