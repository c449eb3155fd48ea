"""``eventyard deliver``: run destination delivery cycles without Airflow."""

from __future__ import annotations

import json
import time

import typer


def register(app: typer.Typer) -> None:
    """Add ``eventyard deliver``."""

    @app.command()
    def deliver(
        once: bool = typer.Option(False, "--once", help="Run one cycle and exit."),
        interval: float = typer.Option(60.0, help="Seconds between cycles when not --once."),
        integration: list[str] = typer.Option([], "--integration", help="Only these integration ids."),
        as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    ) -> None:
        """Deliver new landed events to the enabled API/stream destinations (what the
        deliver_destinations DAG runs): retries due, new batches, dead letters on failure."""
        from eventyard.destinations.cycle import DeliveryReport, deliver_integration, deliver_once
        from eventyard.settings import get_settings

        settings = get_settings()
        while True:
            if integration:
                report = DeliveryReport([deliver_integration(settings, i) for i in integration])
            else:
                report = deliver_once(settings)
            _print(report.as_dict(), as_json)
            if once:
                failed = [r for r in report.integrations if r.error]
                raise typer.Exit(1 if failed else 0)
            time.sleep(interval)


def _print(report: dict[str, object], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(report, default=str))
        return
    integrations = report["integrations"]
    assert isinstance(integrations, list)
    if not integrations:
        typer.echo("no enabled API/stream integrations")
    for item in integrations:
        line = (
            f"{item['code'] or item['integration_id']} ({item['integration_id']}): "
            f"{item['batches']} batches, {item['delivered']} delivered, {item['skipped']} skipped, "
            f"{item['retried']} retried, {item['dead_lettered']} dead-lettered, {item['pending']} pending"
        )
        if item["error"]:
            line += f" — error: {item['error']}"
        typer.echo(line)
