-- eventyard bench merge: Segment's rows made by the server (bind: how many), then statistics.
INSERT INTO {target} ({columns}) SELECT {values} FROM generate_series(1, %s) AS g;
ANALYZE {target}
