"""``eventyard quality --once``: one round of quality checks without Airflow (the
``quality_checks`` DAG runs the same code)."""

from __future__ import annotations

import json

import typer


def register(app: typer.Typer) -> None:
    """Add ``eventyard quality``."""
    app.command("quality")(quality)


def quality(
    once: bool = typer.Option(
        False, "--once", help="Run one round and exit (the only mode; Airflow schedules)."
    ),
    integration: str = typer.Option("", "--integration", help="Check only this integration id."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON report per integration."),
) -> None:
    """Check every enabled table warehouse (or one); exit 1 when a check fails or a round cannot run."""
    from eventyard.quality.tasks import checked_integration_ids, run_safely
    from eventyard.settings import get_settings

    if not once:
        raise typer.BadParameter("use --once (scheduling is Airflow's job: the quality_checks DAG)")
    settings = get_settings()
    ids = [integration] if integration else checked_integration_ids(settings)
    failed = False
    for integration_id in ids:
        report = run_safely(settings, integration_id)
        if as_json:
            typer.echo(json.dumps(report.to_dict(), sort_keys=True, default=str))
        else:
            typer.echo(f"{integration_id} ({report.code or '?'}): {report.summary()}")
            for line in report.lines():
                typer.echo(f"  {line}")
        failed = failed or not report.passed
    if failed:
        raise typer.Exit(code=1)
