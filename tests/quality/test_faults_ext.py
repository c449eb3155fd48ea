"""Fault injection on Redshift (its SQL run for real on Postgres, tests/warehouse/ext/redshift_pg.py)
and BigQuery (the emulator): the same rounds as on DuckDB and Postgres — every check of the round
runs through the dialect's templates — catch a batch deleted after loading, duplicate ids, a year
ahead, a column whose type changes, an event that stops arriving and a discards spike, each named
with its table and observed value while the healthy tables pass."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from eventyard.settings import Settings
from eventyard.warehouse.quality.checks import RESULTS_TABLE
from eventyard.warehouse.quality.tasks import checked_integration_ids
from tests.quality.conftest import (
    EXT_PARAMS,
    LAST_HOUR,
    NOW,
    check_round,
    ext_warehouse,
    failed,
    healthy,
    land_a_week_of_orders_and_views,
    track,
)
from tests.warehouse.conftest import Warehouse
from tests.warehouse.ext.conftest import bigquery_endpoint  # noqa: F401 - the session's emulator


@pytest.fixture(params=EXT_PARAMS)
def ext(
    request: pytest.FixtureRequest, sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Warehouse:
    """A Redshift-on-Postgres or BigQuery-emulator integration, in a schema of its own."""
    return ext_warehouse(request, request.param, sqlite_settings, monkeypatch)


def _load(wh: Warehouse) -> None:
    report = wh.load()
    assert not report.errors and report.remaining == 0, report


def _table(wh: Warehouse, table: str) -> str:
    with wh.dialect() as d:
        return d.qualified(wh.schema, table)


def _execute(wh: Warehouse, sql: str) -> None:
    with wh.dialect() as d:
        d.run([sql])


def _rows(wh: Warehouse, sql: str) -> list[dict[str, Any]]:
    with wh.dialect() as d:
        return d.query(sql)


def _q(wh: Warehouse, name: str) -> str:
    return f"`{name}`" if wh.extra["kind"] == "bigquery" else f'"{name}"'


def test_healthy_data_passes_then_a_deleted_batch_duplicates_a_year_ahead_and_a_type_change(
    ext: Warehouse,
) -> None:
    """Healthy data passes every check (recorded in the warehouse; the DAG maps over the
    integration); then four faults in it, each named with its own table only: a loaded batch
    deleted, an id repeated by hand, a row received and one stamped a year ahead, a column's type
    changed."""
    ext.land(healthy("a"))
    ext.land(healthy("b"))
    _load(ext)
    assert ext.integration_id in checked_integration_ids(ext.settings)  # no longer skipped
    report = check_round(ext)  # also the column-type snapshot the next round compares to
    assert report.passed, report.lines()
    assert {r.check for r in report.results} == {
        "id_not_null", "id_unique", "received_at_null", "received_at_future", "timestamp_skew",
        "freshness", "volume", "discards_rate", "column_types", "ledger_balance", "completeness",
    }  # fmt: skip
    completeness = {r.table: r.observed for r in report.results if r.check == "completeness"}
    assert completeness == dict.fromkeys(
        ("tracks", "order_completed", "product_viewed", "identifies", "users", "pages"), 0
    )
    stored = _rows(ext, f"SELECT * FROM {_table(ext, RESULTS_TABLE)}")
    assert len(stored) == len(report.results) and all(r["passed"] for r in stored)
    q, bq = (lambda n: _q(ext, n)), ext.extra["kind"] == "bigquery"
    _execute(ext, f"DELETE FROM {_table(ext, 'order_completed')} WHERE {q('id')} IN ('b-o1', 'b-o2')")
    pages = _table(ext, "pages")
    _execute(ext, f"INSERT INTO {pages} SELECT * FROM {pages} WHERE {q('id')} = 'a-p1'")
    ahead = (
        (lambda c: f"TIMESTAMP_ADD({q(c)}, INTERVAL 365 DAY)")
        if bq
        else (lambda c: f"{q(c)} + INTERVAL '365 days'")
    )
    _execute(
        ext,
        f"UPDATE {_table(ext, 'identifies')} SET {q('timestamp')} = {ahead('timestamp')} "
        f"WHERE {q('id')} = 'a-i1'",
    )
    viewed = _table(ext, "product_viewed")
    _execute(ext, f"UPDATE {viewed} SET {q('received_at')} = {ahead('received_at')} WHERE {q('id')} = 'b-v1'")
    tracks = _table(ext, "tracks")
    if bq:  # BigQuery changes a column's type by rewriting the table
        _execute(
            ext,
            f"CREATE OR REPLACE TABLE {tracks} AS "
            f"SELECT * REPLACE (CAST({q('event')} AS BYTES) AS {q('event')}) FROM {tracks}",
        )
    else:
        _execute(ext, f"ALTER TABLE {tracks} ALTER COLUMN {q('user_id')} TYPE VARCHAR(64)")
    report = check_round(ext, NOW + timedelta(minutes=1))
    fail = failed(report)
    assert set(fail) == {
        ("completeness", "order_completed"),
        ("id_unique", "pages"),
        ("timestamp_skew", "identifies"),
        ("received_at_future", "product_viewed"),
        ("timestamp_skew", "product_viewed"),  # received a year ahead: a year from its timestamp
        ("column_types", "tracks"),
    }, report.lines()
    assert fail["completeness", "order_completed"].observed == 2
    assert fail["id_unique", "pages"].observed == 1
    assert fail["timestamp_skew", "identifies"].observed == 1
    assert fail["received_at_future", "product_viewed"].observed == 1
    column = "event" if bq else "user_id"
    assert fail["column_types", "tracks"].observed == 1 and fail["column_types", "tracks"].detail.startswith(
        f"{column}: "
    )


def test_an_event_that_stops_arriving_and_a_discards_spike(ext: Warehouse) -> None:
    land_a_week_of_orders_and_views(ext)
    moment = LAST_HOUR + timedelta(minutes=5)
    ext.land([track(moment, "Order Completed", "u", f"now-{n}", {"total": n}) for n in range(11)])
    _load(ext)  # total is a number from here on: "lots" is discarded
    ext.land([track(moment, "Order Completed", "u", f"bad-{n}", {"total": "lots"}) for n in range(3)])
    _load(ext)
    fail = failed(check_round(ext))
    assert set(fail) == {("volume", "product_viewed"), ("discards_rate", "order_completed")}
    assert (fail["volume", "product_viewed"].observed, fail["volume", "product_viewed"].threshold) == (0, 12)
    # 3 discarded values over the 14 rows received in the window (the day-old ones are outside it)
    assert fail["discards_rate", "order_completed"].observed == round(3 / 14, 4)
