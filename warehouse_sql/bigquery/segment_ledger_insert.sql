-- One committed chunk, written after it (no transaction here: a chunk redone after a crash inserts nothing).
INSERT INTO {ledger} (`segment_schema`, `table_name`, `cutover`, `chunk_hi`, `row_count`, `merged`, `discarded`, `committed_at`)
VALUES (?, ?, ?, CAST(? AS TIMESTAMP), ?, ?, ?, CURRENT_TIMESTAMP)
