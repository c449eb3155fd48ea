"""A warehouse in the middle of a switch: Eventyard's tables loaded by our own loader, and a
Segment schema beside them built from Segment's DDL shapes (``segment_tables``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from eventyard.settings import Settings
from tests.conftest import _fresh_pg_database
from tests.migration.segment_tables import SegmentSide
from tests.warehouse.conftest import Warehouse
from tests.warehouse.ext.conftest import bigquery_endpoint  # noqa: F401 - the session's emulator (test_bigquery)
from tests.warehouse.factories import message

SEGMENT_SCHEMA = "segment_shop"


def our_events() -> list[dict[str, Any]]:
    """What Eventyard received from the cutover (2024-01-01T00:00Z) on."""
    return [
        message("track", offset_s=0, messageId="shared-1", userId="u1", event="Order Completed",
                properties={"revenue": 9.99, "quantity": 1, "coupon": "SAVE", "gift": True,
                            "promo_code": "P"}),
        message("track", offset_s=3600, messageId="e-2", userId="u1", event="Order Completed",
                properties={"revenue": 5, "quantity": 1, "coupon": "X", "gift": False}),
        message("identify", offset_s=60, messageId="e-3", userId="u1",
                traits={"email": "new@example.com", "name": "Ann"}),
        message("page", offset_s=120, messageId="e-4", name="Home",
                properties={"title": "Home", "path": "/"}),
    ]  # fmt: skip


@dataclass
class Switch:
    """A warehouse with both sides, and the integration that points at ours."""

    wh: Warehouse
    segment_schema: str = SEGMENT_SCHEMA

    @property
    def settings(self) -> Settings:
        return self.wh.settings

    @property
    def integration_id(self) -> str:
        return self.wh.integration_id

    def query(self, sql: str) -> list[dict[str, Any]]:
        return self.wh.query(sql)

    def count(self, schema: str, table: str, where: str = "TRUE") -> int:
        return int(self.query(f'SELECT count(*) AS n FROM "{schema}"."{table}" WHERE {where}')[0]["n"])

    def ids(self, table: str) -> list[str]:
        return sorted(r["id"] for r in self.query(f'SELECT "id" FROM "{self.wh.schema}"."{table}"'))


def build_switch(wh: Warehouse, shape: str, run: Callable[[list[str]], None]) -> Switch:
    """Load our events through our loader, then write Segment's schema with ``run``."""
    wh.land(our_events())
    report = wh.load()
    assert not report.errors, report.errors
    with wh.dialect() as d:
        side = SegmentSide(shape, d.quote, d.qualified)
    run([side.create_schema(SEGMENT_SCHEMA), *side.statements(SEGMENT_SCHEMA)])
    return Switch(wh)


def _run_on(wh: Warehouse, session_sql: str) -> Callable[[list[str]], None]:
    def run(statements: list[str]) -> None:
        with wh.dialect() as d:
            d.run([session_sql, *statements])

    return run


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def switch(request: pytest.FixtureRequest, sqlite_settings: Settings, tmp_path: Path) -> Switch:
    """DuckDB or a fresh Postgres database, mid-switch."""
    if request.param == "duckdb":
        details: dict[str, Any] = {"path": str(tmp_path / "warehouse.duckdb")}
        session = "SET TimeZone = 'UTC'"
    else:
        details = {"url": _fresh_pg_database(request.getfixturevalue("pg_server_url"))}
        session = "SET TIME ZONE 'UTC'"
    wh = Warehouse(request.param, details, sqlite_settings).setup()
    return build_switch(wh, request.param, _run_on(wh, session))
