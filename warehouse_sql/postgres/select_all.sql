-- Every row of a table: a quarantined batch's staging table read back to publish it, or what a
-- GX query asset validates (gx_suites).
SELECT * FROM {target}
