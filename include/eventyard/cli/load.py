"""``eventyard load --once``: one warehouse load cycle without Airflow (the DAG runs the same code)."""

from __future__ import annotations

import json

import typer


def register(app: typer.Typer) -> None:
    """Add ``eventyard load``."""
    app.command("load")(load)


def load(
    once: bool = typer.Option(
        False, "--once", help="Run one cycle and exit (the only mode; Airflow schedules)."
    ),
    integration: str = typer.Option("", "--integration", help="Load only this integration id."),
    drain: bool = typer.Option(False, "--drain", help="Repeat chunks until no new batch is left."),
    retry_parked: bool = typer.Option(
        False, "--retry-parked", help="First queue again the tables parked after terminal errors."
    ),
) -> None:
    """Load new landed batches into every enabled warehouse integration; print one JSON report each."""
    from eventyard.db.engine import get_engine
    from eventyard.settings import get_settings
    from eventyard.warehouse.cycle import enabled_warehouse_integrations, load_safely
    from eventyard.warehouse.ledger import reopen_parked

    if not once:
        raise typer.BadParameter("use --once (scheduling is Airflow's job: the load_warehouses DAG)")
    settings = get_settings()
    ids = [integration] if integration else enabled_warehouse_integrations(settings)
    failed = False
    for integration_id in ids:
        if retry_parked:
            reopen_parked(get_engine(settings), integration_id)
        report = load_safely(settings, integration_id, drain=drain)
        typer.echo(json.dumps(report.to_dict(), sort_keys=True, default=str))
        failed = failed or bool(report.errors)
    if failed:
        raise typer.Exit(code=1)
