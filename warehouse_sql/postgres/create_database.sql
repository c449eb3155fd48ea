-- The benchmark's throw-away database (eventyard bench load).
CREATE DATABASE {database}
