"""``eventyard merge``: bad input gets a clear error, never a traceback."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from eventyard.cli import app
from tests.migration.conftest import SEGMENT_SCHEMA, Switch

pytestmark = pytest.mark.parametrize("switch", ["duckdb"], indirect=True)


def _merge(switch: Switch, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["merge", "--integration", switch.integration_id, *args])
    return result.exit_code, result.output


def test_plan_or_run_exactly_one(switch: Switch) -> None:
    code, out = _merge(switch, "--segment-schema", SEGMENT_SCHEMA, "--plan", "--run")
    assert code == 2 and "exactly one of --plan and --run" in out


def test_unknown_segment_schema_and_bad_cutover(switch: Switch) -> None:
    code, out = _merge(switch, "--segment-schema", "no_such_schema", "--plan")
    assert code == 2 and "no tables in the Segment schema 'no_such_schema'" in out
    code, out = _merge(switch, "--segment-schema", SEGMENT_SCHEMA, "--plan", "--cutover", "yesterday")
    assert code == 2 and "not an ISO 8601 timestamp" in out
    code, out = _merge(switch, "--segment-schema", SEGMENT_SCHEMA, "--run", "--table", "nope")
    assert code == 2 and "not mergeable tables: nope" in out


def test_unknown_integration(switch: Switch) -> None:
    result = CliRunner().invoke(app, ["merge", "--integration", "missing", "--segment-schema", "s", "--plan"])
    assert result.exit_code == 2 and "no integration 'missing'" in result.output
