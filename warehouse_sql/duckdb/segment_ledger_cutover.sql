-- The cutover an earlier run of this Segment schema's merge used (a re-run keeps it). Bind: schema.
SELECT max("cutover") AS cutover FROM {ledger} WHERE "segment_schema" = ?
