"""``eventyard bench merge``: Segment history -> Postgres vs a plain INSERT ... SELECT of the same rows."""

from __future__ import annotations

import os

import typer

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def register_bench(bench_app: typer.Typer) -> None:
    """Add ``eventyard bench merge``."""

    @bench_app.command("merge")
    def bench_merge(
        rows: int = typer.Option(
            1_000_000, min=1, help="Segment tracks rows (and as many event-table rows)."
        ),
        chunk_rows: int = typer.Option(250_000, min=1, help="Rows per committed chunk."),
        pg_url: str = typer.Option(
            "",
            help="Postgres server (a throw-away database is created there); default $EVENTYARD_TEST_PG_URL.",
        ),
    ) -> None:
        """Merge generated Segment tables into Postgres the way `eventyard merge --run` does; report
        rows/s and the ratio to a plain INSERT ... SELECT of the same rows in the same run."""
        from eventyard.migration.bench import run

        url = pg_url or os.environ.get("EVENTYARD_TEST_PG_URL") or DEFAULT_PG
        result = run(url, rows, chunk_rows, say=typer.echo)
        for line in result.lines():
            typer.echo(line)
