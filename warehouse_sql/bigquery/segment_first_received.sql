-- The first event Eventyard received into one of its tables (the default cutover).
SELECT min(`received_at`) AS first_received FROM {table}
