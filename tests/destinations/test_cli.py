"""``eventyard deliver --once`` and ``eventyard bench deliver`` (a small run)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from eventyard.cli import app
from eventyard.settings import Settings
from tests.destinations.pipeline import create_org_source, land, message
from tests.destinations.receivers import VendorReceiver
from tests.destinations.test_cycle import webhook_integration


def test_deliver_once_runs_one_cycle(sqlite_settings: Settings, webhook_receiver: VendorReceiver) -> None:
    org_source = create_org_source(sqlite_settings)
    webhook_integration(sqlite_settings, org_source, webhook_receiver.url)
    land(sqlite_settings, org_source[1], [message("track", i) for i in range(5)])
    runner = CliRunner()
    result = runner.invoke(app, ["deliver", "--once", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["totals"]["delivered"] == 5 and len(webhook_receiver.deliveries) == 5
    again = runner.invoke(app, ["deliver", "--once"])
    assert again.exit_code == 0 and "0 batches, 0 delivered" in again.output


def test_bench_deliver_small_run(state_home: object) -> None:
    result = CliRunner().invoke(app, ["bench", "deliver", "--events", "3000", "--batch-size", "500"])
    assert result.exit_code == 0, result.output
    assert "delivered 3,000 events" in result.output and "ratio" in result.output
