"""``eventyard quality --once``: one round of quality checks without Airflow (the
``quality_checks`` DAG runs the same code)."""

from __future__ import annotations

import json

import typer

from eventyard.cli.rounds import integration_option, once_option, require_once, run_each


def register(app: typer.Typer) -> None:
    """Add ``eventyard quality``."""
    app.command("quality")(quality)


def quality(
    once: bool = once_option("round"),
    integration: str = integration_option("Check"),
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
    require_once(once, "quality_checks")
    settings = get_settings()

    def check_one(integration_id: str) -> bool:
        report = run_safely(settings, integration_id)
        if as_json:
            typer.echo(json.dumps(report.to_dict(), sort_keys=True, default=str))
        else:
            typer.echo(f"{integration_id} ({report.code or '?'}): {report.summary()}")
            for line in report.lines():
                typer.echo(f"  {line}")
        return not report.passed

    run_each([integration] if integration else checked_integration_ids(settings), check_one)


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
