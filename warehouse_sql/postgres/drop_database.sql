-- The benchmark's throw-away database, dropped even while a connection is left open.
DROP DATABASE IF EXISTS {database} WITH (FORCE)
