-- How far games get before a new one starts: games per best tile reached.
SELECT best_tile, count(*) AS games, round(avg(moves), 1) AS avg_moves
FROM games
GROUP BY best_tile
ORDER BY best_tile
