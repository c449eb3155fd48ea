-- A table's columns, read from a dry run of this query (free; reflects every ALTER at once).
SELECT * FROM {table}
