"""``eventyard bench load``: Parquet -> Postgres Segment tables vs a plain COPY of the same rows."""

from __future__ import annotations

import os

import typer

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def register_bench(bench_app: typer.Typer) -> None:
    """Add ``eventyard bench load``."""

    @bench_app.command("load")
    def bench_load(
        events: int = typer.Option(1_000_000, help="Events of one 30-property track event."),
        batch_size: int = typer.Option(100_000, help="Events per landed Parquet batch."),
        pg_url: str = typer.Option(
            "",
            help="Postgres server (a throw-away database is created there); default $EVENTYARD_TEST_PG_URL.",
        ),
        rerun: bool = typer.Option(True, help="Load the same batches again and show that nothing is added."),
    ) -> None:
        """Load landed batches into Postgres through the real loading path; report rows/s and the
        ratio to a plain COPY of the same rows measured in the same run."""
        from eventyard.warehouse.bench import run

        url = pg_url or os.environ.get("EVENTYARD_TEST_PG_URL") or DEFAULT_PG
        result = run(url, events, batch_size, say=typer.echo, rerun=rerun)
        for line in result.lines():
            typer.echo(line)
