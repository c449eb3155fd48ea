-- Held for the rest of the table's load transaction (table_lock): two loads never evolve or
-- merge one table at once.
LOCK TABLE {table}
