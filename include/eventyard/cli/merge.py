"""``eventyard merge``: audit and merge a Segment warehouse schema into Eventyard's (the DAG
``segment_merge`` runs the same code, one mapped task per table)."""

from __future__ import annotations

import json
from typing import Any

import typer


def register(app: typer.Typer) -> None:
    """Add ``eventyard merge``."""
    app.command("merge")(merge)


def merge(
    integration: str = typer.Option(..., "--integration", help="The warehouse integration (its id)."),
    segment_schema: str = typer.Option(
        ..., "--segment-schema", help="Segment's schema (dataset) in that warehouse."
    ),
    schema: str = typer.Option("", "--schema", help="Eventyard's schema; default: the integration's."),
    plan: bool = typer.Option(False, "--plan", help="Print the audit and plan; change nothing."),
    run: bool = typer.Option(
        False, "--run", help="Execute the plan, then print and check the reconciliation."
    ),
    cutover: str = typer.Option(
        "",
        "--cutover",
        help="Merge Segment rows received before this time (ISO 8601); default: "
        "an earlier run's, else the first event Eventyard received for the source.",
    ),
    table: list[str] = typer.Option([], "--table", help="Merge only this table (repeatable)."),
    chunk_rows: int = typer.Option(250_000, "--chunk-rows", min=1, help="Rows per committed chunk."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for machines."),
) -> None:
    """Audit a Segment schema against Eventyard's (--plan) or merge it (--run)."""
    from eventyard.migration.service import plan_merge, run_merge
    from eventyard.settings import get_settings
    from eventyard.warehouse.errors import WarehouseError

    if plan == run:
        raise typer.BadParameter("give exactly one of --plan and --run")
    settings = get_settings()
    try:
        if plan:
            audit = plan_merge(settings, integration, segment_schema, schema or None, cutover or None)
            _say(as_json, audit.to_dict(), audit.lines())
            return
        with _Bars(enabled=not as_json) as bars:
            outcome = run_merge(
                settings, integration, segment_schema, schema or None, cutover or None,
                tables=table or None, chunk_rows=chunk_rows, progress=bars.update,
            )  # fmt: skip
    except (ValueError, LookupError, WarehouseError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    _say(as_json, outcome.to_dict(), [r.line() for r in outcome.results])
    if not outcome.ok:
        typer.echo("reconciliation failed: see the lines above", err=True)
        raise typer.Exit(1)


def _say(as_json: bool, data: dict[str, Any], lines: list[str]) -> None:
    if as_json:
        typer.echo(json.dumps(data, default=str, sort_keys=True))
    else:
        for line in lines:
            typer.echo(line)


class _Bars:
    """One progress bar per table on stderr (rows done / rows to merge)."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Any = None
        self.table = ""
        self.done = 0

    def __enter__(self) -> _Bars:
        return self

    def __exit__(self, *exc: object) -> None:
        self._close()

    def _close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None

    def update(self, table: str, done: int, total: int) -> None:
        """Called after every committed chunk."""
        if not self.enabled:
            return
        if table != self.table:
            self._close()
            self.table, self.done = table, 0
            self.bar = typer.progressbar(
                length=max(total, 1), label=f"{table:<24}", file=_stderr(), show_pos=True
            )
            self.bar.__enter__()
        self.bar.update(max(done - self.done, 0))
        self.done = done


def _stderr() -> Any:
    import sys

    return sys.stderr
