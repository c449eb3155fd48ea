-- Every row of a table (a quarantined batch's staging table, read back to publish it).
SELECT * FROM {target}
