-- How many times each arrow key was pressed.
SELECT "event", count(*) AS n
FROM {schema}."tracks"
WHERE "event" IN ('up', 'down', 'left', 'right')
GROUP BY "event"
ORDER BY n DESC, "event"
