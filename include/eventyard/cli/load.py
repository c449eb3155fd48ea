"""``eventyard load --once``: one warehouse load cycle without Airflow (the DAG runs the same code)."""

from __future__ import annotations

import json

import typer

from eventyard.cli.rounds import integration_option, once_option, require_once, run_each


def register(app: typer.Typer) -> None:
    """Add ``eventyard load``."""
    app.command("load")(load)


def load(
    once: bool = once_option("cycle"),
    integration: str = integration_option("Load"),
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

    require_once(once, "load_warehouses")
    settings = get_settings()

    def load_one(integration_id: str) -> bool:
        if retry_parked:
            reopen_parked(get_engine(settings), integration_id)
        report = load_safely(settings, integration_id, drain=drain)
        typer.echo(json.dumps(report.to_dict(), sort_keys=True, default=str))
        return bool(report.errors)

    run_each([integration] if integration else enabled_warehouse_integrations(settings), load_one)
