"""``eventyard compare``: the A/A comparison of a Segment schema with ours (the ``segment_compare`` DAG
runs the same code)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def register(app: typer.Typer) -> None:
    """Add ``eventyard compare``."""
    app.command("compare")(compare)


def register_bench(bench_app: typer.Typer) -> None:
    """Add ``eventyard bench compare``."""

    @bench_app.command("compare")
    def bench_compare(
        calls: int = typer.Option(
            500_000, help="Calls per side (each is a tracks row and an event-table row)."
        ),
        pg_url: str = typer.Option(
            "",
            help="Postgres server (a throw-away database is created there); default $EVENTYARD_TEST_PG_URL.",
        ),
    ) -> None:
        """Compare ~1M rows per side in Postgres; report the time next to one plain scan of the same
        tables (the ceiling, measured in the same run) and the rows that reached Python."""
        from eventyard.compare.bench import run

        url = pg_url or os.environ.get("EVENTYARD_TEST_PG_URL") or DEFAULT_PG
        for line in run(url, calls, say=typer.echo).lines():
            typer.echo(line)


def compare(
    integration: str = typer.Option(
        ..., "--integration", help="The warehouse integration whose warehouse holds both schemas."
    ),
    segment_schema: str = typer.Option(
        ..., "--segment-schema", help="Segment's schema (dataset) for the same source."
    ),
    schema: str = typer.Option("", "--schema", help="Our schema (default: the integration's)."),
    since: str = typer.Option(
        ..., "--since", help="Start of the window, received_at >= (ISO-8601, UTC if no zone)."
    ),
    until: str = typer.Option(..., "--until", help="End of the window, received_at < (ISO-8601)."),
    as_json: bool = typer.Option(False, "--json", help="Print the whole report as JSON."),
    html: Path | None = typer.Option(
        None, "--html", help="Also write the report as an HTML page with charts."
    ),
    max_count_diff: float = typer.Option(
        0.01, "--max-count-diff", help="Rows may differ by this share (table, hour, event hour)."
    ),
    max_id_diff: float = typer.Option(
        0.01, "--max-id-diff", help="Distinct anonymous_id / user_id may differ by this share."
    ),
    max_fill_diff: float = typer.Option(
        0.05, "--max-fill-diff", help="A column's fill rates may differ by this much (0.05 = 5 points)."
    ),
    min_hour_rows: int = typer.Option(
        1, "--min-hour-rows", help="Judge an hour only when one side has at least this many rows."
    ),
) -> None:
    """Compare Segment's tables with ours per table, event and hour; exit 1 when a table differs."""
    from eventyard.compare.compare import run_compare
    from eventyard.compare.model import Thresholds
    from eventyard.compare.queries import parse_moment
    from eventyard.compare.report_html import render
    from eventyard.settings import get_settings
    from eventyard.warehouse.errors import TerminalWarehouseError

    try:
        thresholds = Thresholds(max_count_diff, max_id_diff, max_fill_diff, min_hour_rows)
        report = run_compare(
            get_settings(), integration, segment_schema, parse_moment(since), parse_moment(until),
            schema=schema or None, thresholds=thresholds,
        )  # fmt: skip
    except (ValueError, TerminalWarehouseError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    if html is not None:
        html.parent.mkdir(parents=True, exist_ok=True)
        html.write_text(render(report), encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(report.to_dict(), sort_keys=True))
    else:
        typer.echo(
            f"{report.segment_schema} (Segment) vs {report.schema} (Eventyard), "
            f"{report.since:%Y-%m-%d %H:%M} to {report.until:%Y-%m-%d %H:%M} UTC"
        )
        typer.echo(report.matching)
        for table in report.tables:
            ratio = "-" if table.ratio is None else f"{table.ratio:.3f}"
            typer.echo(
                f"  {table.table:<32} {table.verdict:<14} Segment {table.segment.rows:>10}  "
                f"Eventyard {table.eventyard.rows:>10}  ratio {ratio}"
            )
        for flag in report.flags:
            typer.echo(f"  ! {flag.table}: {flag.reason}")
        typer.echo(report.summary() + (f"; HTML report: {html}" if html else ""))
    if not report.ok:
        raise typer.Exit(code=1)
