"""``eventyard compare`` end to end on an integration: text, ``--json``, ``--html``, exit codes, bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eventyard.cli import app
from eventyard.settings import Settings
from tests.compare.aa_fixture import DROPPED_TABLE, duckdb_integration

WINDOW = ["--since", "2024-03-01T09:00Z", "--until", "2024-03-01T12:00Z"]


@pytest.fixture
def integration(sqlite_settings: Settings, tmp_path: Path) -> str:
    """A DuckDB integration whose warehouse holds Segment's schema (one event lost for an hour) and ours."""
    return duckdb_integration(sqlite_settings, tmp_path / "warehouse.duckdb")


def test_compare_prints_json_and_writes_an_html_report_with_charts(integration: str, tmp_path: Path) -> None:
    page = tmp_path / "reports" / "aa.html"
    args = ["compare", "--integration", integration, "--segment-schema", "segment_shop", *WINDOW]
    result = CliRunner().invoke(app, [*args, "--json", "--html", str(page)])

    assert result.exit_code == 1, result.output  # a table differs
    report = json.loads(result.stdout)
    assert report["schema"] == "shop" and report["ok"] is False
    assert {t["table"] for t in report["tables"] if t["verdict"] == "differs"} == {DROPPED_TABLE, "tracks"}
    assert {(f["table"], f["hour"]) for f in report["flags"] if f["hour"]} == {
        (DROPPED_TABLE, "2024-03-01T10:00:00+00:00"),
        ("tracks", "2024-03-01T10:00:00+00:00"),
    }
    html = page.read_text(encoding="utf-8")
    assert html.count("<svg") >= 8 and "<script" not in html and "http" not in html.split("</style>")[0]
    assert "not by id" in html and 'class="flagged"' in html
    assert re.search(r"order_completed</a></td><td><span class=\"differs\">", html)


def test_compare_text_output_and_lenient_thresholds(integration: str) -> None:
    args = ["compare", "--integration", integration, "--segment-schema", "segment_shop", *WINDOW]
    strict = CliRunner().invoke(app, args)
    assert (
        strict.exit_code == 1
        and "! order_completed: hour 2024-03-01 10:00: Segment 0 rows, Eventyard 3" in strict.stdout
    )

    lenient = CliRunner().invoke(
        app, [*args, "--max-count-diff", "0.5", "--max-id-diff", "0.5", "--min-hour-rows", "4"]
    )
    assert lenient.exit_code == 0, lenient.output
    assert "8 tables match" in lenient.stdout


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--since", "yesterday"], "not an ISO-8601 date or time"),
        (["--since", "2024-03-02", "--until", "2024-03-01"], "must be before"),
        (["--segment-schema", "nope"], "schema 'nope' has no event tables"),
        (["--segment-schema", "shop"], "compare two different schemas"),
        (["--max-count-diff", "2"], "between 0 and 1"),
        (["--integration", "missing"], "no integration 'missing'"),
    ],
)
def test_bad_input_gets_a_clear_error(integration: str, extra: list[str], message: str) -> None:
    args = ["compare", "--integration", integration, "--segment-schema", "segment_shop", *WINDOW, *extra]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and message in result.stderr, result.output
