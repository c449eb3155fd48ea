-- Which corner players push their tiles into: two perpendicular moves in a row
-- (up then left, or left then up = top-left). A new game breaks the chain.
WITH ordered AS (
    SELECT "event",
           LAG("event") OVER (PARTITION BY "anonymous_id" ORDER BY "timestamp") AS previous
    FROM {schema}."tracks"
    WHERE "event" IN ('up', 'down', 'left', 'right', 'new_game')
),
paired AS (
    SELECT CASE
        WHEN ("event" = 'up' AND previous = 'left') OR ("event" = 'left' AND previous = 'up')
            THEN 'top-left'
        WHEN ("event" = 'up' AND previous = 'right') OR ("event" = 'right' AND previous = 'up')
            THEN 'top-right'
        WHEN ("event" = 'down' AND previous = 'left') OR ("event" = 'left' AND previous = 'down')
            THEN 'bottom-left'
        WHEN ("event" = 'down' AND previous = 'right') OR ("event" = 'right' AND previous = 'down')
            THEN 'bottom-right'
    END AS corner
    FROM ordered
)
SELECT corner, count(*) AS n
FROM paired
WHERE corner IS NOT NULL
GROUP BY corner
ORDER BY n DESC, corner
