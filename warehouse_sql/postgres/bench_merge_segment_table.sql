-- eventyard bench merge: one of Segment's tables, in its Postgres DDL (definitions built from quoted names).
CREATE TABLE {table} ({definitions})
