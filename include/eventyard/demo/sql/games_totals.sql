-- All games, and the fewest key strokes any game needed to reach the 2048 tile (NULL: nobody won).
SELECT count(*) AS games,
       round(avg(moves), 1) AS avg_moves,
       min(CASE WHEN best_tile >= 2048 THEN moves END) AS fewest_to_win
FROM games
