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
) -> None:
    """Load new landed batches into every enabled warehouse integration; print one JSON report each."""
    from eventyard.settings import get_settings
    from eventyard.warehouse.cycle import enabled_warehouse_integrations, load_integration

    if not once:
        raise typer.BadParameter("use --once (scheduling is Airflow's job: the load_warehouses DAG)")
    settings = get_settings()
    ids = [integration] if integration else enabled_warehouse_integrations(settings)
    failed = False
    for integration_id in ids:
        while True:
            try:
                report = load_integration(settings, integration_id)
            except Exception as exc:  # one broken integration must not hide the others' reports
                report = {"integration_id": integration_id, "errors": {"*": f"{type(exc).__name__}: {exc}"}}
            typer.echo(json.dumps(report, sort_keys=True, default=str))
            failed = failed or bool(report.get("errors"))
            if not (drain and report.get("remaining") and not report.get("errors")):
                break
    if failed:
        raise typer.Exit(code=1)
