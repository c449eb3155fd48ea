"""Fault injection, one test per check, on DuckDB and real Postgres: each fault is caught, named
with its table and observed value, and the healthy tables pass."""

from __future__ import annotations

from datetime import timedelta

from eventyard.warehouse.quality.checks import RESULTS_TABLE
from tests.quality.conftest import (
    LAST_HOUR,
    NOW,
    at,
    check_round,
    execute,
    failed,
    healthy,
    land_a_week_of_orders_and_views,
    sql_type,
    track,
)
from tests.warehouse.conftest import Warehouse


def test_healthy_data_passes_and_the_results_land_in_the_warehouse(loaded: Warehouse) -> None:
    report = check_round(loaded)
    assert report.passed, report.lines()
    checks = {r.check for r in report.results}
    assert checks == {
        "id_not_null",
        "id_unique",
        "received_at_null",
        "received_at_future",
        "timestamp_skew",
        "freshness",
        "volume",
        "discards_rate",
        "column_types",
        "ledger_balance",
        "completeness",
    }
    tables = {r.table for r in report.results if r.check == "completeness"}
    assert tables == {"tracks", "order_completed", "product_viewed", "identifies", "users", "pages"}
    assert {r.table for r in report.results if r.check == "id_unique"} >= {"tracks", "users", "pages"}
    stored = loaded.query(f'SELECT * FROM "{loaded.schema}"."{RESULTS_TABLE}"')
    assert len(stored) == len(report.results)
    assert {r["run_id"] for r in stored} == {report.run_id} and all(r["passed"] for r in stored)
    # A second round compares column types with the first one's snapshot: nothing changed.
    again = check_round(loaded, NOW + timedelta(minutes=1))
    assert again.passed and again.run_id != report.run_id


def test_a_batch_deleted_after_loading(warehouse: Warehouse) -> None:
    warehouse.land(healthy("a"))
    lost = warehouse.land(healthy("b"))
    warehouse.load()
    assert lost
    execute(
        warehouse, f'DELETE FROM "{warehouse.schema}"."order_completed" WHERE "id" IN (\'b-o1\', \'b-o2\')'
    )
    fail = failed(check_round(warehouse))
    assert set(fail) == {("completeness", "order_completed")}
    assert fail["completeness", "order_completed"].observed == 2


def test_duplicate_ids_inserted_by_hand(loaded: Warehouse) -> None:
    target = f'"{loaded.schema}"."pages"'
    if loaded.code == "postgres":  # the hand-run fix dropped the key first
        execute(loaded, f'ALTER TABLE {target} DROP CONSTRAINT "pages_pkey"')
    execute(loaded, f"INSERT INTO {target} SELECT * FROM {target} WHERE \"id\" = 'a-p1'")
    fail = failed(check_round(loaded))
    assert set(fail) == {("id_unique", "pages")} and fail["id_unique", "pages"].observed == 1


def test_timestamps_a_year_ahead(loaded: Warehouse) -> None:
    year = "INTERVAL '365 days'"
    execute(
        loaded,
        f'UPDATE "{loaded.schema}"."pages" SET "timestamp" = "timestamp" + {year} WHERE "id" = \'a-p1\'',
    )
    execute(
        loaded,
        f'UPDATE "{loaded.schema}"."product_viewed" SET "received_at" = "received_at" + {year} '
        "WHERE \"id\" = 'b-v1'",
    )
    fail = failed(check_round(loaded))
    # The row received a year ahead also has a timestamp a year from its received_at.
    assert set(fail) == {
        ("timestamp_skew", "pages"),
        ("received_at_future", "product_viewed"),
        ("timestamp_skew", "product_viewed"),
    }
    assert fail["timestamp_skew", "pages"].observed == 1
    assert fail["received_at_future", "product_viewed"].observed == 1


def test_an_event_that_stops_arriving(warehouse: Warehouse) -> None:
    land_a_week_of_orders_and_views(warehouse)
    moment = LAST_HOUR + timedelta(minutes=5)
    warehouse.land(
        [at(moment, "track", event="Order Completed", userId="u", messageId=f"now-{n}") for n in range(11)]
    )
    warehouse.load()
    fail = failed(check_round(warehouse))
    assert set(fail) == {("volume", "product_viewed")}
    assert (fail["volume", "product_viewed"].observed, fail["volume", "product_viewed"].threshold) == (0, 12)
    volume = {r.table: r for r in check_round(warehouse).results if r.check == "volume"}
    assert volume["order_completed"].passed and volume["order_completed"].observed == 11


def test_a_column_whose_type_changes(loaded: Warehouse) -> None:
    assert check_round(loaded).passed  # the snapshot the next round compares to
    target = f'"{loaded.schema}"."order_completed"'
    text = sql_type(loaded, "text", "VARCHAR")
    using = ' USING "total"::text' if loaded.code == "postgres" else ""
    execute(loaded, f'ALTER TABLE {target} ALTER COLUMN "total" TYPE {text}{using}')
    fail = failed(check_round(loaded, NOW + timedelta(minutes=1)))
    assert set(fail) == {("column_types", "order_completed")}
    result = fail["column_types", "order_completed"]
    assert result.observed == 1 and result.detail.lower().startswith("total: bigint -> ")


def test_a_discards_spike(loaded: Warehouse) -> None:
    moment = LAST_HOUR + timedelta(minutes=20)
    loaded.land([track(moment, "Order Completed", "u", f"bad-{n}", {"total": "lots"}) for n in range(3)])
    loaded.load()
    fail = failed(check_round(loaded))
    assert set(fail) == {("discards_rate", "order_completed")}
    assert fail["discards_rate", "order_completed"].observed == 0.4286  # 3 of 7 rows
