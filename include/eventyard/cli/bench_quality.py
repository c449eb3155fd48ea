"""``eventyard bench quality``: a quality round over loaded rows on Postgres, against their load."""

from __future__ import annotations

import os

import typer

from eventyard.cli.bench_load import DEFAULT_PG


def register_bench(bench_app: typer.Typer) -> None:
    """Add ``eventyard bench quality``."""

    @bench_app.command("quality")
    def bench_quality(
        events: int = typer.Option(1_000_000, help="Events of one 30-property track event."),
        batch_size: int = typer.Option(100_000, help="Events per landed Parquet batch."),
        rounds: int = typer.Option(3, min=1, help="Quality rounds timed after the load."),
        pg_url: str = typer.Option(
            "",
            help="Postgres server (a throw-away database is created there); default $EVENTYARD_TEST_PG_URL.",
        ),
        great_expectations: bool = typer.Option(
            False, "--great-expectations", help="Also time the GX suites (opt-in per integration)."
        ),
    ) -> None:
        """Load the rows through the real path, then time whole quality rounds over them; report
        seconds per round and the ratio to the load (target < 20%)."""
        from eventyard.warehouse.quality.bench import run

        url = pg_url or os.environ.get("EVENTYARD_TEST_PG_URL") or DEFAULT_PG
        result = run(url, events, batch_size, rounds, say=typer.echo, great_expectations=great_expectations)
        for line in result.lines():
            typer.echo(line)
