"""Fixtures: the warehouse fixture of tests/warehouse (a DuckDB file or a fresh Postgres database),
Redshift (its SQL on Postgres) and BigQuery (the emulator) integrations, a healthy, small data set
landed and loaded, and a way to run one quality round on it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from eventyard.db.engine import get_engine, session_scope
from eventyard.db.models import Integration
from eventyard.settings import Settings
from eventyard.warehouse.dialects import DIALECTS
from eventyard.warehouse.quality.results import CheckResult, QualityReport
from eventyard.warehouse.quality.run import run_round
from tests.conftest import _fresh_pg_database
from tests.warehouse.conftest import Warehouse, warehouse  # noqa: F401  (the fixture)
from tests.warehouse.ext.redshift_pg import pg_details
from tests.warehouse.factories import iso, message

# The checks run "now"; the data is placed in the last full hour before it, so the volume
# check's observed hour holds it.
NOW = datetime.now(UTC).replace(minute=30, second=0, microsecond=0)
LAST_HOUR = NOW.replace(minute=0) - timedelta(hours=1)


def at(moment: datetime, kind: str, **fields: Any) -> dict[str, Any]:
    """A message received at ``moment`` (its timestamp 100 ms earlier)."""
    return message(
        kind,
        receivedAt=iso(moment),
        timestamp=iso(moment - timedelta(milliseconds=100)),
        sentAt=iso(moment),
        originalTimestamp=iso(moment - timedelta(milliseconds=100)),
        **fields,
    )


def track(
    moment: datetime, event: str, user_id: str, message_id: str, properties: dict[str, Any]
) -> dict[str, Any]:
    """A track call with properties, received at ``moment``."""
    return at(moment, "track", event=event, userId=user_id, messageId=message_id, properties=properties)


def healthy(tag: str, moment: datetime = LAST_HOUR + timedelta(minutes=10)) -> list[dict[str, Any]]:
    """One batch of every kind: 2 orders, 1 product view, 1 identify, 1 page."""
    return [
        track(moment, "Order Completed", "u1", f"{tag}-o1", {"total": 3}),
        track(moment, "Order Completed", "u2", f"{tag}-o2", {"total": 5}),
        track(moment, "Product Viewed", "u1", f"{tag}-v1", {"sku": "a"}),
        at(moment, "identify", userId=f"{tag}-user", messageId=f"{tag}-i1", traits={"plan": "pro"}),
        at(moment, "page", anonymousId="anon", messageId=f"{tag}-p1", name="Home", properties={"path": "/"}),
    ]


def land_a_week_of_orders_and_views(wh: Warehouse) -> None:
    """12 orders and 12 product views at the last hour's time on each of the 7 days before."""
    for day in range(1, 8):
        moment = LAST_HOUR - timedelta(days=day) + timedelta(minutes=5)
        wh.land(
            [
                at(moment, "track", event=e, userId="u", messageId=f"{e[:1]}{day}-{n}")
                for e in ("Order Completed", "Product Viewed")
                for n in range(12)
            ]
        )


# Params of a fixture over the two warehouses tested on stand-ins: Redshift's SQL run by Postgres,
# BigQuery's by the emulator (one per test worker: the group shares it with tests/warehouse/ext).
EXT_PARAMS = [
    pytest.param("redshift", marks=pytest.mark.postgres),
    pytest.param("bigquery", marks=pytest.mark.xdist_group("bigquery")),
]


def ext_warehouse(
    request: pytest.FixtureRequest, kind: str, settings: Settings, mp: pytest.MonkeyPatch
) -> Warehouse:
    """A Redshift-on-Postgres or BigQuery-emulator integration, in a schema of its own."""
    schema = f"shop_{uuid.uuid4().hex[:10]}"
    if kind == "redshift":
        # The integration's dialect is Redshift's, with the stage filled by COPY FROM STDIN.
        mp.setitem(DIALECTS, "amazon_redshift", "tests.warehouse.ext.redshift_pg:PostgresStagedRedshift")
        details = pg_details(_fresh_pg_database(request.getfixturevalue("pg_server_url")))
        code = "amazon_redshift"
    else:
        from tests.warehouse.ext.bq_emulator import PROJECT

        details = {"project": PROJECT, "apiEndpoint": request.getfixturevalue("bigquery_endpoint")}
        code = "google_bigquery"
    wh = Warehouse(code, details, settings, schema=schema).setup(config={"namespace": schema})
    wh.extra["kind"] = kind
    return wh


@pytest.fixture
def loaded(warehouse: Warehouse) -> Warehouse:  # noqa: F811
    """The warehouse with two healthy batches landed and loaded."""
    warehouse.land(healthy("a"))
    warehouse.land(healthy("b"))
    report = warehouse.load()
    assert not report.errors and report.remaining == 0
    return warehouse


def check_round(wh: Warehouse, now: datetime = NOW, *, gx: bool = False) -> QualityReport:
    """One quality round on the warehouse's integration (by default without the GX suites, which
    tests/quality/test_gx.py covers: each fault here is then named by exactly one check)."""
    configure(wh, qualityGreatExpectations=gx)
    return run_round(wh.settings, wh.integration_id, now)


def configure(wh: Warehouse, **config: Any) -> None:
    """Change the integration's config (as Houston's updateIntegration would)."""
    with session_scope(get_engine(wh.settings)) as session:
        integration = session.get(Integration, wh.integration_id)
        assert integration is not None
        integration.config = {**integration.config, **config}


def failed(report: QualityReport) -> dict[tuple[str, str], CheckResult]:
    """The failed results by (check, table)."""
    return {(r.check, r.table): r for r in report.failures}


def sql_type(wh: Warehouse, postgres: str, duckdb: str) -> str:
    """The dialect's spelling of a type."""
    return postgres if wh.code == "postgres" else duckdb


def execute(wh: Warehouse, sql: str) -> None:
    """Run a statement that returns no rows (the faults)."""
    with wh.dialect() as d:
        d.run([sql])
