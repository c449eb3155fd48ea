-- A stage of this merge (a session temp table; on BigQuery a table in our dataset).
DROP TABLE IF EXISTS {stage}
