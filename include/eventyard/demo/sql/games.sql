-- One row per (player, game): a game is everything a player did between one "New Game" and
-- the next, so each move is numbered by how many new_game events that player sent before it.
-- {left} and {right} are the tables "_left" and "_right": reserved words get a "_" prefix.
WITH moves AS (
    SELECT "anonymous_id", "timestamp", "score", "max_tile" FROM {schema}.{up}
    UNION ALL SELECT "anonymous_id", "timestamp", "score", "max_tile" FROM {schema}.{down}
    UNION ALL SELECT "anonymous_id", "timestamp", "score", "max_tile" FROM {schema}.{left}
    UNION ALL SELECT "anonymous_id", "timestamp", "score", "max_tile" FROM {schema}.{right}
),
starts AS (SELECT "anonymous_id", "timestamp" FROM {schema}.{new_game}),
numbered AS (
    SELECT m.*,
           (SELECT count(*) FROM starts AS st
            WHERE st."anonymous_id" = m."anonymous_id" AND st."timestamp" <= m."timestamp") AS game
    FROM moves AS m
),
games AS (
    SELECT "anonymous_id", game, count(*) AS moves, max("max_tile") AS best_tile, max("score") AS score
    FROM numbered
    GROUP BY "anonymous_id", game
)
