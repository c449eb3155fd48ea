"""`eventyard demo` end to end in a temporary home, its figures checked against the games it played.

The demo's numbers come from SQL on the DuckDB warehouse after the real pipeline (Houston API,
collector, segment-analytics-python, flush, the load_warehouses DAG). The expected numbers are
recomputed here from the same seeded simulation, without any SQL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from eventyard.demo.game import CORNERS, WINNING_TILE, Player, play
from eventyard.demo.run import MARKER, DemoError, prepare_home

pytestmark = pytest.mark.slow
PLAYERS, GAMES, SEED = 3, 2, 7


def _expected(players: list[Player]) -> dict[str, Any]:
    games = [g for p in players for g in p.games]
    directions = Counter(m.direction for g in games for m in g.moves)
    corners: Counter[str] = Counter()
    for g in games:
        for before, after in zip(g.moves, g.moves[1:], strict=False):
            corner = CORNERS.get(frozenset({before.direction, after.direction}))
            if corner:
                corners[corner] += 1
    by_tile: dict[int, list[int]] = defaultdict(list)
    for g in games:
        by_tile[g.best_tile].append(len(g.moves))
    winners = [len(g.moves) for g in games if g.best_tile >= WINNING_TILE]
    return {
        "moves_per_direction": dict(directions),
        "corners": dict(corners),
        "by_best_tile": [
            {"best_tile": tile, "games": len(n), "avg_moves": round(sum(n) / len(n), 1)}
            for tile, n in sorted(by_tile.items())
        ],
        "by_player": {
            f"Player {p.number}": {
                "games": len(p.games),
                "best_tile": max(g.best_tile for g in p.games),
                "moves": sum(len(g.moves) for g in p.games),
                "best_score": max(g.score for g in p.games),
            }
            for p in players
        },
        "fewest_moves_to_win": min(winners) if winners else None,
        "tracks": sum(len(g.moves) for g in games) + len(games),
    }


def test_demo_figures_match_the_games_played(tmp_path: Path) -> None:
    home = tmp_path / "demo-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EVENTYARD_", "AIRFLOW"))}
    proc = subprocess.run(
        [sys.executable, "-c", "from eventyard.cli import main; main()", "demo", "--home", str(home),
         "--players", str(PLAYERS), "--games", str(GAMES), "--seed", str(SEED)],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads((home / MARKER).read_text())
    expected = _expected(play(SEED, PLAYERS, GAMES, datetime(2024, 1, 1, tzinfo=UTC)))

    assert result["sent"] == {
        "tracks": expected["tracks"],
        "pages": PLAYERS,
        "identifies": PLAYERS,
        "failures": 0,
    }
    tables = result["tables"]
    assert tables["tracks"] == expected["tracks"]
    assert (tables["pages"], tables["identifies"], tables["users"]) == (PLAYERS, PLAYERS, PLAYERS)
    assert tables["new_game"] == PLAYERS * GAMES
    # left/right are reserved words: their tables get Segment's "_" prefix.
    per_table = {"up": tables.get("up", 0), "down": tables.get("down", 0)}
    per_table |= {"left": tables.get("_left", 0), "right": tables.get("_right", 0)}
    assert {k: v for k, v in per_table.items() if v} == expected["moves_per_direction"]

    assert result["moves_per_direction"] == expected["moves_per_direction"]
    assert result["corners"] == expected["corners"]
    far = result["how_far"]
    assert far["games"] == PLAYERS * GAMES
    assert far["by_best_tile"] == expected["by_best_tile"]
    assert {p.pop("player"): p for p in far["by_player"]} == expected["by_player"]
    assert far["fewest_moves_to_win"] == expected["fewest_moves_to_win"]
    assert result["load"]["how"].startswith("Ran the load_warehouses Airflow DAG")
    # The quality round after the load, its summary printed. Its one finding is real: the seed's
    # moves carry properties.anonymousId, an envelope column, which the load discards every time.
    moves = {"up", "down", "_left", "_right", "new_game"} & set(tables)
    assert result["quality"]["failed"] == sorted(f"discards_rate {t}" for t in moves)
    assert result["quality"]["checks"] > 20
    assert "7. Quality checks on the load" in proc.stdout and result["quality"]["summary"] in proc.stdout

    # What a data engineer sees, and the account really went through Houston's sign-up flow.
    for heading in ("Moves per direction:", "Most popular corner", "How far players get", "_left"):
        assert heading in proc.stdout
    control = create_engine(f"sqlite:///{home / 'control.db'}")
    with control.connect() as conn:
        user = conn.execute(text("SELECT email, confirmed_at FROM users")).one()
        integration = conn.execute(text("SELECT integration_code, enabled FROM integrations")).one()
    control.dispose()
    assert user[0] == result["login"]["email"] and user[1] is not None
    assert tuple(integration) == ("duckdb", 1)


def test_prepare_home_clears_a_previous_demo_and_refuses_other_state(tmp_path: Path) -> None:
    previous = tmp_path / "previous"
    previous.mkdir()
    (previous / MARKER).write_text("{}")
    (previous / "control.db").write_text("old")
    prepare_home(previous)
    assert list(previous.iterdir()) == []

    real = tmp_path / "real"
    real.mkdir()
    (real / "control.db").write_text("precious")
    with pytest.raises(DemoError, match="--home"):
        prepare_home(real)
    assert (real / "control.db").read_text() == "precious"
