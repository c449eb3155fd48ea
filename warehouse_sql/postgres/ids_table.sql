-- The ids of a batch, to ask the target which it already has (dropped at commit).
CREATE TEMP TABLE {ids} ("id" text) ON COMMIT DROP
