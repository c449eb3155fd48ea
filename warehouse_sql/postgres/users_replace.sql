DELETE FROM {target} WHERE {id} IN (SELECT {id} FROM {merged});
INSERT INTO {target} ({columns}) SELECT {columns} FROM {merged};
DROP TABLE {merged}
