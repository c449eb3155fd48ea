"""``eventyard quality --once``: the same round without Airflow, JSON for machines, exit 1 on failure."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from eventyard.cli import app
from tests.quality.conftest import configure, execute
from tests.warehouse.conftest import Warehouse


def test_quality_once_reports_and_exits_by_outcome(loaded: Warehouse) -> None:
    configure(loaded, qualityGreatExpectations=False)  # GX: tests/quality/test_gx.py
    runner = CliRunner()
    ok = runner.invoke(app, ["quality", "--once", "--integration", loaded.integration_id, "--json"])
    assert ok.exit_code == 0, ok.output
    report = json.loads(ok.output)
    assert report["passed"] and report["schema"] == loaded.schema and report["failed"] == 0
    assert {r["check"] for r in report["results"]} >= {"completeness", "id_unique", "volume"}

    execute(loaded, f'DELETE FROM "{loaded.schema}"."pages" WHERE "id" = \'a-p1\'')
    bad = runner.invoke(app, ["quality", "--once"])  # every enabled integration: just this one
    assert bad.exit_code == 1
    assert "failed: completeness on pages (observed 1)" in bad.output
    assert "FAIL completeness" in bad.output


def test_quality_needs_once_and_reports_an_unknown_integration(loaded: Warehouse) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["quality"]).exit_code == 2
    unknown = runner.invoke(app, ["quality", "--once", "--integration", "nope", "--json"])
    assert unknown.exit_code == 1 and "no integration 'nope'" in json.loads(unknown.output)["error"]
