-- The same per player, named through identify -> users (anonymous players keep their id).
, who AS (
    SELECT DISTINCT "anonymous_id", "user_id" FROM {schema}."identifies" WHERE "user_id" IS NOT NULL
)
SELECT coalesce(u."name", g."anonymous_id") AS player, count(*) AS games,
       max(g.best_tile) AS best_tile, sum(g.moves) AS moves, max(g.score) AS best_score
FROM games AS g
LEFT JOIN who ON who."anonymous_id" = g."anonymous_id"
LEFT JOIN {schema}."users" AS u ON u."id" = who."user_id"
GROUP BY 1
ORDER BY best_score DESC, player
