"""The seed's 2048 questions, answered by SQL against the Segment-layout tables in DuckDB.

The queries are the ``.sql`` files next to this module (read them: they are the point of the
demo). They read only warehouse tables: ``tracks`` (one row per call, ``event`` = the direction
slug), the per-event tables ``up``/``down``/``left``/``right``/``new_game`` (with the ``score``
and ``max_tile`` properties), ``identifies`` and ``users``. The schema name is quoted in.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from eventyard.settings import Settings
from eventyard.warehouse.dialects.base import Dialect


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@lru_cache(maxsize=16)
def _sql(name: str) -> str:
    return resources.files("eventyard.demo").joinpath("sql", f"{name}.sql").read_text()


def event_tables(dialect: Dialect) -> dict[str, str]:
    """Placeholder -> quoted table of each game event, named by the warehouse's own rules.

    ``left`` and ``right`` are SQL reserved words, so (as in Segment's Redshift) their tables are
    ``_left`` and ``_right``; asking the naming module keeps the queries right for any dialect.
    """
    from eventyard.warehouse.naming import table_name_for_event

    events = {"up": "up", "down": "down", "left": "left", "right": "right", "new_game": "New Game"}
    return {key: _q(table_name_for_event(event, dialect)) for key, event in events.items()}


def query(con: Any, tables: dict[str, str], *names: str, table: str = "") -> list[dict[str, Any]]:
    """Run the concatenation of the named SQL files (e.g. the ``games`` CTE + a query) as dicts.

    ``tables`` fills the placeholders: ``schema`` and the event tables, already quoted.
    """
    sql = "\n".join(_sql(n) for n in names).format(table=_q(table), **tables)
    cursor = con.execute(sql)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def table_counts(con: Any, schema: str, tables: dict[str, str]) -> dict[str, int]:
    """Every table of the source schema and its row count."""
    found = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name",
        [schema],
    ).fetchall()
    counts = {}
    for (table,) in found:
        counts[table] = int(query(con, tables, "table_count", table=table)[0]["n"])
    return counts


def compute(settings: Settings, warehouse: Path, schema: str) -> dict[str, Any]:
    """All figures the demo prints, from a read-only connection to the warehouse file."""
    import duckdb

    from eventyard.warehouse.dialects.duckdb import DuckDBDialect

    tables = {"schema": _q(schema), **event_tables(DuckDBDialect({"path": str(warehouse)}, settings))}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        totals = query(con, tables, "games", "games_totals")[0]
        return {
            "schema": schema,
            "tables": table_counts(con, schema, tables),
            "moves_per_direction": {
                r["event"]: int(r["n"]) for r in query(con, tables, "moves_per_direction")
            },
            "corners": {r["corner"]: int(r["n"]) for r in query(con, tables, "corners")},
            "how_far": {
                "games": int(totals["games"]),
                "avg_moves_per_game": float(totals["avg_moves"] or 0),
                "fewest_moves_to_win": None
                if totals["fewest_to_win"] is None
                else int(totals["fewest_to_win"]),
                "by_best_tile": [
                    {
                        "best_tile": int(r["best_tile"]),
                        "games": int(r["games"]),
                        "avg_moves": float(r["avg_moves"]),
                    }
                    for r in query(con, tables, "games", "games_by_tile")
                ],
                "by_player": [
                    {
                        "player": str(r["player"]),
                        "games": int(r["games"]),
                        "best_tile": int(r["best_tile"]),
                        "moves": int(r["moves"]),
                        "best_score": int(r["best_score"]),
                    }
                    for r in query(con, tables, "games", "games_by_player")
                ],
            },
        }
