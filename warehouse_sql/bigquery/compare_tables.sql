-- The tables of a dataset that hold events (those with a received_at column), bind the dataset;
-- {info_schema} is `project`.`dataset`.`INFORMATION_SCHEMA` (the views are per dataset).
SELECT table_name FROM {info_schema}.COLUMNS
WHERE table_schema = ? AND column_name = 'received_at' ORDER BY table_name
