"""``eventyard quality --once``: the same round without Airflow, JSON for machines, exit 1 on failure."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from eventyard.cli import app
from eventyard.warehouse.quality.tasks import checked_integration_ids
from tests.quality.conftest import configure, execute
from tests.warehouse.conftest import Warehouse
from tests.warehouse.factories import make_integration


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


def test_a_destination_without_tables_is_left_out_and_named(loaded: Warehouse) -> None:
    # Every table warehouse has quality templates (DuckDB, Postgres, Redshift, BigQuery); S3 event
    # logs are files, with nothing to check in SQL.
    _, logs = make_integration(loaded.settings, "s3_event_logs", {"bucket": "b"}, source_name="Other")
    assert checked_integration_ids(loaded.settings) == [loaded.integration_id]
    out = CliRunner().invoke(app, ["quality", "--once", "--integration", logs, "--json"])
    assert out.exit_code == 1
    assert f"integration {logs!r} (s3_event_logs) has no tables" in json.loads(out.output)["error"]
