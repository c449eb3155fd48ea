-- eventyard bench merge's ceiling: one plain INSERT INTO ... SELECT of the same rows and columns.
INSERT INTO {target} ({columns}) SELECT {columns} FROM {source}
