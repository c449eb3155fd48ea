"""A real 2048 board and simulated players, so the demo's figures come from actual games.

Each player is deterministic given the seed: it opens the game page, plays a few games with its
own habits (a favourite corner, how often it slips, when it gives up), and starts a ``New Game``
when the board is stuck or its patience runs out. The simulation records everything it sends,
which is the ground truth the demo's SQL results are checked against.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

Board = tuple[tuple[int, ...], ...]
DIRECTIONS = ("up", "down", "left", "right")
OPPOSITE = {"up": "down", "down": "up", "left": "right", "right": "left"}
SIZE = 4
WINNING_TILE = 2048
# Corner names for two perpendicular moves in a row (the tiles pile up in that corner).
CORNERS = {
    frozenset({"up", "left"}): "top-left",
    frozenset({"up", "right"}): "top-right",
    frozenset({"down", "left"}): "bottom-left",
    frozenset({"down", "right"}): "bottom-right",
}


def _slide_row_left(row: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
    """One row moved left with merges (each tile merges once); returns the row and points won."""
    tiles = [t for t in row if t]
    out: list[int] = []
    points = 0
    i = 0
    while i < len(tiles):
        if i + 1 < len(tiles) and tiles[i] == tiles[i + 1]:
            out.append(tiles[i] * 2)
            points += tiles[i] * 2
            i += 2
        else:
            out.append(tiles[i])
            i += 1
    return tuple(out + [0] * (SIZE - len(out))), points


def _transpose(board: Board) -> Board:
    return tuple(zip(*board, strict=True))


def move(board: Board, direction: str) -> tuple[Board, int]:
    """The board after a move, and the points it scored (the board is unchanged if nothing moves)."""
    if direction in ("up", "down"):
        board = _transpose(board)
    reverse = direction in ("right", "down")
    rows = []
    points = 0
    for row in board:
        line = row[::-1] if reverse else row
        slid, won = _slide_row_left(line)
        rows.append(slid[::-1] if reverse else slid)
        points += won
    result: Board = tuple(rows)
    if direction in ("up", "down"):
        result = _transpose(result)
    return result, points


def spawn(board: Board, rng: random.Random) -> Board:
    """A new 2 (90%) or 4 (10%) on a random empty cell."""
    empty = [(r, c) for r in range(SIZE) for c in range(SIZE) if not board[r][c]]
    if not empty:
        return board
    r, c = rng.choice(empty)
    cells = [list(row) for row in board]
    cells[r][c] = 4 if rng.random() < 0.1 else 2
    return tuple(tuple(row) for row in cells)


def new_board(rng: random.Random) -> Board:
    """An empty board with two starting tiles."""
    empty: Board = tuple((0,) * SIZE for _ in range(SIZE))
    return spawn(spawn(empty, rng), rng)


def max_tile(board: Board) -> int:
    """The largest tile on the board."""
    return max(max(row) for row in board)


@dataclass
class Move:
    """One key press the player sent (only moves that changed the board are sent, as in the game)."""

    direction: str
    at: datetime
    score: int
    max_tile: int


@dataclass
class Game:
    """One game: from its ``New Game`` event until the next one (or the player leaving)."""

    started_at: datetime
    moves: list[Move] = field(default_factory=list)
    stuck: bool = False

    @property
    def best_tile(self) -> int:
        """The highest tile reached (2 if no move was made)."""
        return max((m.max_tile for m in self.moves), default=2)

    @property
    def score(self) -> int:
        """The final score."""
        return self.moves[-1].score if self.moves else 0


@dataclass
class Player:
    """A simulated player and everything they did."""

    number: int
    anonymous_id: str
    user_id: str
    corner: tuple[str, str]
    slip: float
    patience: int
    opened_at: datetime
    identified_at: datetime | None = None
    games: list[Game] = field(default_factory=list)


def _choose(board: Board, player: Player, rng: random.Random) -> str | None:
    """The player's next key: its corner's two directions first, occasionally a slip."""
    primary, secondary = player.corner
    # The classic corner strategy: away from the corner along its edge before ever leaving it.
    order = [primary, secondary, OPPOSITE[secondary], OPPOSITE[primary]]
    if rng.random() < player.slip:
        rng.shuffle(order)
    for direction in order:
        if move(board, direction)[0] != board:
            return direction
    return None


def play(seed: int, players: int, games_per_player: int, start: datetime) -> list[Player]:
    """Simulate ``players`` players; every timestamp is ``start`` plus simulated thinking time."""
    rng = random.Random(seed)
    corners = [("down", "left"), ("down", "right"), ("up", "left"), ("down", "left"), ("up", "right")]
    result = []
    for n in range(players):
        clock = start + timedelta(seconds=n * 7)
        player = Player(
            number=n + 1,
            anonymous_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            user_id=f"player-{n + 1}",
            corner=corners[n % len(corners)],
            slip=0.05 + 0.1 * rng.random(),
            patience=rng.randint(120, 420),
            opened_at=clock,
        )
        for game_number in range(games_per_player):
            clock += timedelta(seconds=2)
            game = Game(started_at=clock)
            board = new_board(rng)
            score = 0
            while len(game.moves) < player.patience:
                direction = _choose(board, player, rng)
                if direction is None:
                    game.stuck = True
                    break
                board, points = move(board, direction)
                board = spawn(board, rng)
                score += points
                clock += timedelta(milliseconds=rng.randint(250, 700))
                game.moves.append(Move(direction, clock, score, max_tile(board)))
            player.games.append(game)
            if game_number == 0:
                clock += timedelta(seconds=1)
                player.identified_at = clock
        result.append(player)
    return result
