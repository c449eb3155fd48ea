"""Great Expectations on the loaded tables of every warehouse (DuckDB, real Postgres, Redshift's
SQL on Postgres, BigQuery's emulator): suites generated from the Segment schema, validated by GX's
SQL datasource in the warehouse, Data Docs written, and faults caught, named with their table and
the rows GX found, while the healthy tables pass."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from eventyard.settings import Settings
from eventyard.warehouse.quality import gx_suites
from eventyard.warehouse.quality.checks import RESULTS_TABLE
from eventyard.warehouse.quality.paths import data_docs_index
from tests.conftest import _fresh_pg_database
from tests.quality.conftest import EXT_PARAMS, check_round, ext_warehouse, failed, healthy
from tests.warehouse.conftest import Warehouse
from tests.warehouse.ext.conftest import bigquery_endpoint  # noqa: F401 - the session's emulator

TABLES = {"tracks", "order_completed", "product_viewed", "identifies", "users", "pages"}


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres), *EXT_PARAMS])
def gx_loaded(
    request: pytest.FixtureRequest, sqlite_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Warehouse:
    """A warehouse of each kind with two healthy batches loaded."""
    kind = request.param
    if kind in ("duckdb", "postgres"):
        details: dict[str, Any] = (
            {"path": str(tmp_path / "warehouse.duckdb")}
            if kind == "duckdb"
            else {"url": _fresh_pg_database(request.getfixturevalue("pg_server_url"))}
        )
        warehouse = Warehouse(kind, details, sqlite_settings).setup()
        warehouse.extra["kind"] = kind
    else:
        warehouse = ext_warehouse(request, kind, sqlite_settings, monkeypatch)
    warehouse.land(healthy("a"))
    warehouse.land(healthy("b"))
    report = warehouse.load()
    assert not report.errors and report.remaining == 0, report
    return warehouse


def _run(warehouse: Warehouse, sql: str) -> list[dict[str, Any]]:
    with warehouse.dialect() as d:
        if sql.lstrip().upper().startswith("SELECT"):
            return d.query(sql)
        d.run([sql])
        return []


def test_suites_follow_the_segment_schema() -> None:
    tracks = gx_suites.suite_for("tracks", ["id", "received_at", "timestamp", "uuid_ts", "event"])
    names = [(e.name, e.kwargs.get("column")) for e in tracks]
    assert ("ExpectColumnValuesToBeUnique", "id") in names and (
        "ExpectColumnValuesToNotBeNull",
        "event",
    ) in names
    users = gx_suites.suite_for("users", ["id", "plan"])
    assert [e.name for e in users] == ["ExpectColumnValuesToNotBeNull", "ExpectColumnValuesToBeUnique"]
    assert set(gx_suites.suites({"discards": {"id": "t"}, "quality_results": {"id": "t"}})) == set()


def test_gx_runs_in_the_warehouse_names_each_fault_and_passes_the_healthy_tables(
    gx_loaded: Warehouse,
) -> None:
    """An id repeated by hand and a track whose name is empty: a round with the GX suites names
    each with its table and the rows GX found (the repeat by our SQL check too), every other table
    passes its suite, and the results land in ``quality_results`` and the Data Docs."""
    wh = gx_loaded
    with wh.dialect() as d:
        q, results, pages, tracks = (
            d.quote,
            d.qualified(wh.schema, RESULTS_TABLE),
            d.qualified(wh.schema, "pages"),
            d.qualified(wh.schema, "tracks"),
        )
    if wh.extra["kind"] == "postgres":  # the hand-run fix dropped the key first
        _run(wh, f'ALTER TABLE {pages} DROP CONSTRAINT "pages_pkey"')
    _run(wh, f"INSERT INTO {pages} SELECT * FROM {pages} WHERE {q('id')} = 'a-p1'")
    _run(wh, f"UPDATE {tracks} SET {q('event')} = '' WHERE {q('id')} = 'a-v1'")

    report = check_round(wh, gx=True)
    gx = {r.table: r for r in report.results if r.check == "gx_suite"}
    assert set(gx) == TABLES and {t for t, r in gx.items() if r.passed} == TABLES - {"pages", "tracks"}
    assert set(failed(report)) == {("id_unique", "pages"), ("gx_suite", "pages"), ("gx_suite", "tracks")}
    assert gx["pages"].observed == 1
    assert "failed: expect_column_values_to_be_unique(id): 2 unexpected" in gx["pages"].detail
    assert gx["tracks"].observed == 1
    assert "failed: expect_column_value_lengths_to_be_between(event): 1 unexpected" in gx["tracks"].detail
    stored = _run(
        wh, f"SELECT {q('table_name')}, {q('passed')} FROM {results} WHERE {q('check_name')} = 'gx_suite'"
    )
    assert {(r["table_name"], r["passed"]) for r in stored} == {(t, r.passed) for t, r in gx.items()}
    assert f"{wh.schema}.order_completed" in data_docs_index(wh.settings).read_text()
