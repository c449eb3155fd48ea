"""Great Expectations on the loaded tables of a real Postgres warehouse: suites generated from
the Segment schema, validated by GX's SQL datasource, Data Docs written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from eventyard.settings import Settings
from eventyard.warehouse.quality import gx_suites
from eventyard.warehouse.quality.checks import schema_columns
from eventyard.warehouse.quality.paths import data_docs_index
from tests.conftest import _fresh_pg_database
from tests.quality.conftest import check_round, execute, healthy
from tests.warehouse.conftest import Warehouse

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_loaded(sqlite_settings: Settings, pg_server_url: str) -> Warehouse:
    """A Postgres warehouse with two healthy batches loaded."""
    details: dict[str, Any] = {"url": _fresh_pg_database(pg_server_url)}
    warehouse = Warehouse("postgres", details, sqlite_settings).setup()
    warehouse.land(healthy("a"))
    warehouse.land(healthy("b"))
    assert not warehouse.load().errors
    return warehouse


def _run(warehouse: Warehouse) -> dict[str, Any]:
    with warehouse.dialect() as d:
        columns = schema_columns(d, warehouse.schema)
    results = gx_suites.run_suites(
        warehouse.settings, warehouse.integration_id, warehouse.details, warehouse.schema, columns
    )
    return {r.table: r for r in results}


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


def test_gx_validates_the_loaded_tables_and_writes_data_docs(pg_loaded: Warehouse) -> None:
    results = _run(pg_loaded)
    assert set(results) == {"tracks", "order_completed", "product_viewed", "identifies", "users", "pages"}
    assert all(r.passed for r in results.values()), [r.detail for r in results.values()]
    index = data_docs_index(pg_loaded.settings)
    assert index.exists() and "order_completed" in Path(index).read_text()

    target = f'"{pg_loaded.schema}"."pages"'
    execute(pg_loaded, f'ALTER TABLE {target} DROP CONSTRAINT "pages_pkey"')
    execute(pg_loaded, f"INSERT INTO {target} SELECT * FROM {target} WHERE \"id\" = 'a-p1'")
    again = _run(pg_loaded)
    assert not again["pages"].passed and "expect_column_values_to_be_unique(id)" in again["pages"].detail
    assert all(r.passed for t, r in again.items() if t != "pages")


def test_a_round_on_postgres_runs_the_gx_suites_and_records_them(pg_loaded: Warehouse) -> None:
    report = check_round(pg_loaded, gx=True)
    gx = {r.table for r in report.results if r.check == "gx_suite"}
    assert report.passed and gx == {
        "tracks",
        "order_completed",
        "product_viewed",
        "identifies",
        "users",
        "pages",
    }
    stored = pg_loaded.query(
        f'SELECT "table_name" FROM "{pg_loaded.schema}"."quality_results" WHERE "check_name" = \'gx_suite\''
    )
    assert {r["table_name"] for r in stored} == gx
