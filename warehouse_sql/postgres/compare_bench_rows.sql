-- eventyard bench compare: n synthetic "Order Completed" calls, one row in tracks and one in the
-- event table each, a call every 30 ms from start (bind start, n, id prefix, id prefix).
WITH "calls" AS (
    SELECT g, CAST(%s AS timestamptz) + g * interval '30 milliseconds' AS "at" FROM generate_series(1, %s) AS g
), "t" AS (
    INSERT INTO {tracks} ("id", "received_at", "timestamp", "anonymous_id", "user_id", "event", "event_text")
    SELECT %s || g, "at" + interval '200 milliseconds', "at", 'anon-' || (g %% 50000),
           CASE WHEN g %% 3 = 0 THEN NULL ELSE 'user-' || (g %% 20000) END, 'order_completed', 'Order Completed'
    FROM "calls" RETURNING 1
), "e" AS (
    INSERT INTO {event_table} ("id", "received_at", "timestamp", "anonymous_id", "user_id", "event", "event_text",
                               "total", "currency")
    SELECT %s || g, "at" + interval '200 milliseconds', "at", 'anon-' || (g %% 50000),
           CASE WHEN g %% 3 = 0 THEN NULL ELSE 'user-' || (g %% 20000) END, 'order_completed', 'Order Completed',
           (g %% 1000) / 10.0, CASE WHEN g %% 10 = 0 THEN NULL ELSE 'USD' END
    FROM "calls" RETURNING 1
)
SELECT (SELECT count(*) FROM "t") + (SELECT count(*) FROM "e") AS "row_count"
