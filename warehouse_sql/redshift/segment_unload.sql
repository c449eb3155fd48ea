-- Option B of the seed's merge guidelines, for big chunks: Redshift writes the chunk (already in
-- our table's column order and types) to S3 as Parquet, in parallel, off the leader node.
-- The query is a string literal: UNLOAD takes no bound parameters.
UNLOAD ({query})
TO {s3_prefix}
{credentials}
FORMAT AS PARQUET
ALLOWOVERWRITE
