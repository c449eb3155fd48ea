INSERT INTO {target} ({columns})
SELECT {columns} FROM {stage} AS s
WHERE NOT EXISTS (SELECT 1 FROM {target} AS t WHERE {key_match})
