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
    quarantined: bool = typer.Option(
        False, "--quarantined", help="List the batches write-audit-publish holds back, instead of a round."
    ),
    republish: str = typer.Option(
        "", "--republish", help="Audit a quarantined batch's staging tables again; publish it if they pass."
    ),
) -> None:
    """Check every enabled table warehouse (or one); exit 1 when a check fails or a round cannot run."""
    from eventyard.settings import get_settings
    from eventyard.warehouse.quality.tasks import checked_integration_ids, run_safely

    if quarantined or republish:
        _quarantine(integration, republish, as_json)
        return
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


def _quarantine(integration: str, batch_id: str, as_json: bool) -> None:
    """``--quarantined`` / ``--republish BATCH`` (write-audit-publish, eventyard.warehouse.quality.wap)."""
    from dataclasses import asdict

    from eventyard.settings import get_settings
    from eventyard.warehouse.quality import wap
    from eventyard.warehouse.quality.tasks import checked_integration_ids

    settings = get_settings()
    if batch_id:
        if not integration:
            raise typer.BadParameter("--republish needs --integration")
        try:
            report = wap.republish(settings, integration, batch_id)
        except wap.NotQuarantined as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(code=1) from None
        typer.echo(json.dumps(report.to_dict(), sort_keys=True, default=str))
        if report.errors:
            raise typer.Exit(code=1)
        return
    for integration_id in [integration] if integration else checked_integration_ids(settings):
        for item in wap.quarantined(settings, integration_id):
            if as_json:
                typer.echo(json.dumps({"integration_id": integration_id, **asdict(item)}, sort_keys=True))
            else:
                typer.echo(f"{integration_id} {item.batch_id} ({item.staging_schema}): {item.reason}")
