-- One committed chunk, written in the chunk's own transaction (a killed merge resumes after it).
INSERT INTO {ledger} ("segment_schema", "table_name", "cutover", "chunk_hi", "row_count", "merged", "discarded", "committed_at")
VALUES (%s, %s, %s, %s, %s, %s, %s, CURRENT_TIMESTAMP)
