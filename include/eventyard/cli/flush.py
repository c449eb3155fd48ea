"""``eventyard flush``: seal and land every spool segment now (for operators and tests)."""

from __future__ import annotations

import json

import typer

from eventyard.settings import get_settings


def register(app: typer.Typer) -> None:
    """Add ``eventyard flush`` to the CLI."""
    app.command("flush")(flush)


def flush(
    owner_timeout: float = typer.Option(
        60.0, help="Seconds to wait for a running collector to flush the slots it owns."
    ),
) -> None:
    """Seal and flush every spool slot now; print the counts as JSON.

    Slots of stopped collectors are flushed here; slots of running ones are flushed by their
    owner on request. Exits 1 when something could not be flushed (it stays in the spool).
    """
    from eventyard.collector.flusher import flush_all

    counts = flush_all(get_settings(), owner_timeout=owner_timeout)
    typer.echo(json.dumps(counts))
    if counts["failed_segments"] or counts["unanswered_slots"]:
        raise typer.Exit(1)
