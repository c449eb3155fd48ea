SELECT count(*) AS n FROM {schema}.{table}
