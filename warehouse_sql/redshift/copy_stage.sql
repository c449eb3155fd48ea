-- Parquet columns are matched by position, so the stage table is created in the file's order.
COPY {stage}
FROM {s3_uri}
{credentials}
FORMAT AS PARQUET
