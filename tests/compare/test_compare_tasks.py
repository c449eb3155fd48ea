"""The DAG's task functions without Airflow: which comparisons a run makes, and what a task leaves."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from eventyard.compare.compare import CompareError
from eventyard.compare.tasks import compare_targets, previous_day, run_compare_task, thresholds_from
from eventyard.settings import Settings
from eventyard.warehouse.integration import table_setup
from tests.compare.aa_fixture import START, UNTIL, calls, load_ours, load_segment
from tests.warehouse.factories import make_integration


def _duckdb(settings: Settings, path: Path, config: dict[str, str]) -> str:
    return make_integration(settings, "duckdb", {"path": str(path)}, source_name="Shop", config=config)[1]


def test_a_manual_run_compares_its_params_and_a_daily_run_the_configured_integrations(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    configured = _duckdb(sqlite_settings, tmp_path / "a.duckdb", {"segmentSchema": "segment_shop"})
    _duckdb(sqlite_settings, tmp_path / "b.duckdb", {})  # no Segment schema: not compared daily

    # A daily run at 2024-03-02 00:00 (Airflow 3: a zero-length data interval) compares March 1st.
    midnight = datetime(2024, 3, 2, tzinfo=UTC)
    daily = compare_targets({}, midnight, midnight, sqlite_settings)
    day = {"since": "2024-03-01T00:00:00+00:00", "until": "2024-03-02T00:00:00+00:00"}
    assert daily == [{"integration": configured, "segment_schema": "segment_shop", "schema": None, **day}]
    assert previous_day(datetime(2024, 3, 2, 17, 5, tzinfo=UTC)) == (
        "2024-03-01T00:00:00+00:00", "2024-03-02T00:00:00+00:00"
    )  # fmt: skip
    params = {"integration": "x", "segment_schema": "seg", "schema": "ours", "since": "2024-01-01",
              "until": "2024-01-02"}  # fmt: skip
    manual = compare_targets(params, None, None, sqlite_settings)
    assert manual == [{"integration": "x", "segment_schema": "seg", "schema": "ours", "since": "2024-01-01",
                       "until": "2024-01-02"}]  # fmt: skip
    with pytest.raises(CompareError, match="segment_schema is required"):
        compare_targets({"integration": "x"}, START, UNTIL, sqlite_settings)
    with pytest.raises(CompareError, match="no window"):
        compare_targets({}, None, None, sqlite_settings)
    assert thresholds_from({"max_count_diff": 0.1, "min_hour_rows": 5}).counts == 0.1


def test_a_compare_task_writes_the_html_report_labels_itself_and_returns_the_verdicts(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    integration = _duckdb(sqlite_settings, tmp_path / "w.duckdb", {"segmentSchema": "segment_shop"})
    setup = table_setup(sqlite_settings, integration)
    with setup.dialect as dialect:
        load_segment(dialect, "segment_shop", "duckdb", drop=True)
        dialect.ensure_schema(setup.schema)
        load_ours(dialect, setup.schema, calls())
    (target,) = compare_targets(
        {"since": START.isoformat(), "until": UNTIL.isoformat()}, None, None, sqlite_settings
    )
    context: dict[str, object] = {}

    result = run_compare_task(target, {}, context)

    assert context["eventyard_label"] == "segment_shop vs shop: 2 of 8 tables differ: order_completed, tracks"
    assert result["verdicts"]["pages"] == "match" and result["verdicts"]["order_completed"] == "differs"
    html = Path(result["html"])
    assert html.parent == sqlite_settings.home.resolve() / "reports" / "compare" / integration
    assert "<svg" in html.read_text(encoding="utf-8")
