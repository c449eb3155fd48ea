INSERT INTO {target} ({columns})
SELECT {columns} FROM {stage}
ON CONFLICT ({key}) DO NOTHING
