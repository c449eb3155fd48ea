"""``eventyard demo``: the README's first command (``make demo``)."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from eventyard.settings import get_settings


def register(app: typer.Typer) -> None:
    """Add ``eventyard demo`` to the CLI."""
    app.command("demo")(demo)


def demo(
    home: Path | None = typer.Option(
        None, help="State dir for the demo (default: EVENTYARD_HOME, i.e. ./.eventyard)."
    ),
    players: int = typer.Option(5, min=1, max=50, help="Simulated 2048 players."),
    games: int = typer.Option(3, min=1, max=20, help="Games per player."),
    seed: int = typer.Option(2048, help="Seed of the simulation (same seed, same games)."),
    loader: str = typer.Option("airflow", help="airflow: run the load_warehouses DAG; direct: no Airflow."),
) -> None:
    """Sign up through Houston, collect a 2048 clickstream from a real SDK, load DuckDB, print insights."""
    import warnings

    from eventyard.demo.provision import DemoError
    from eventyard.demo.run import run_demo

    # Starlette's TestClient (Houston runs in-process) warns about httpx; not the user's concern.
    warnings.filterwarnings("ignore", message="Using `httpx` with")

    if home is not None:
        # Same as EVENTYARD_HOME=<home>: child processes (Airflow) must see it too.
        os.environ["EVENTYARD_HOME"] = str(home.resolve())
        get_settings.cache_clear()
    try:
        run_demo(get_settings(), players=players, games=games, seed=seed, loader=loader, say=typer.echo)
    except DemoError as exc:
        typer.echo(f"demo failed: {exc}", err=True)
        raise typer.Exit(1) from None
