-- The column types the last round recorded (bind: check name twice).
SELECT {table_name} AS table_name, {detail} AS detail
FROM {target}
WHERE {check} = ? AND {run_id} = (SELECT MAX({run_id}) FROM {target} WHERE {check} = ?)
