"""quality_checks under the real scheduler: run by the asset the load tasks update, never
triggered by hand, no ``dag.test()``.

Through Houston, a source gets a Postgres warehouse with alert targets (a mail address and a
local webhook) and a BigQuery warehouse (the emulator; Houston's form has no field for an API
endpoint, so the test adds the emulator's to the connection's stored details) with the GX
suites on. Events sent with Segment's SDK land, ``load_warehouses`` loads them into both, and
the ``eventyard-warehouse-loads`` asset runs ``quality_checks``, one mapped task per warehouse:
the results land in each warehouse's ``quality_results``, all passed, GX's validated in
BigQuery itself. Then rows are deleted by hand in Postgres and an id repeated in BigQuery; the
next events' load runs the checks again, which catch both, fail each task (its label names the
check) and alert by mail (the outbox) and webhook.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import psycopg
import pytest

from eventyard.crypto import encrypt_details
from eventyard.db.engine import make_engine, session_scope
from eventyard.db.models import Connection, Integration
from eventyard.runtime.local_stack import Houston, RunningStack, free_port
from eventyard.settings import Settings
from tests.conftest import _fresh_pg_database
from tests.dags.test_scheduler_e2e import _airflow_rows, _postgres_details, _send, _wait_for
from tests.warehouse.ext.bq_emulator import PROJECT
from tests.warehouse.ext.conftest import bigquery_endpoint  # noqa: F401 - the session's emulator

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.xdist_group("scheduler_e2e")]

ARRIVAL_TIMEOUT = 300.0
T = TypeVar("T")


class _Alerts(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        type(self).received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def alert_hook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A Slack-style incoming webhook on a free port: its URL and what it received."""
    received: list[dict[str, Any]] = []
    handler = type("Hook", (_Alerts,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/alerts", received
    finally:
        server.shutdown()
        server.server_close()


def _pg(url: str, sql: str) -> list[tuple[Any, ...]] | None:
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        try:
            cur = conn.execute(sql)
        except psycopg.errors.UndefinedTable:
            return None
        return cur.fetchall() if cur.description else []


def _point_at_emulator(stack: RunningStack, integration_id: str, endpoint: str) -> None:
    """Add the emulator's endpoint to the BigQuery connection's details in the stack's control DB."""
    settings = Settings(home=stack.home, secret_key=stack.env["EVENTYARD_SECRET_KEY"])
    engine = make_engine(settings.resolved_database_url)
    try:
        with session_scope(engine) as session:
            integration = session.get(Integration, integration_id)
            assert integration is not None
            connection = session.get(Connection, integration.connection_id)
            assert connection is not None
            connection.details_encrypted = encrypt_details(
                settings, {"project": PROJECT, "apiEndpoint": endpoint}
            )
    finally:
        engine.dispose()


def _bq(endpoint: str, sql: str) -> list[dict[str, Any]] | None:
    """Rows of a query on the emulator (None while the table does not exist)."""
    from google.api_core.client_options import ClientOptions
    from google.api_core.exceptions import NotFound
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    client = bigquery.Client(
        project=PROJECT,
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=endpoint),
    )
    try:
        return [dict(r.items()) for r in client.query(sql).result()]
    except NotFound:
        return None
    finally:
        client.close()


def _poll(what: str, probe: Callable[[], T | None], stack: RunningStack) -> T:
    return _wait_for(what, probe, stack, ARRIVAL_TIMEOUT)


def test_quality_checks_run_on_the_load_asset_and_alert_on_a_fault(
    stack: RunningStack,
    account: tuple[Houston, str],
    pg_server_url: str,
    bigquery_endpoint: str,  # noqa: F811 - the fixture
    alert_hook: tuple[str, list[dict[str, Any]]],
) -> None:
    houston = account[0]
    hook_url, alerts = alert_hook
    warehouse = _fresh_pg_database(pg_server_url)
    source_id = houston.create_source("checked")
    config = {
        "namespace": "checked",
        "qualityAlertEmails": ["data@example.com"],
        "qualityAlertWebhook": hook_url,
    }
    integration_id = houston.add_integration(source_id, "postgres", _postgres_details(warehouse), config)
    results = 'SELECT "run_id", "check_name", "table_name", "passed" FROM "checked"."quality_results"'
    bq_details = {"project": PROJECT, "credentials": {"type": "service_account"}, "bucketName": "unused"}
    bq_config = {"namespace": "checked", "qualityGreatExpectations": True}
    bq_id = houston.add_integration(source_id, "google_bigquery", bq_details, bq_config)
    _point_at_emulator(stack, bq_id, bigquery_endpoint)
    bq_results = f"SELECT check_name, table_name, passed FROM `{PROJECT}.checked.quality_results`"

    first = _send(stack, source_id, "q1", 20)

    def first_round() -> list[tuple[Any, ...]] | None:
        rows = _pg(warehouse, results)
        covered = {r[2] for r in rows or () if r[1] == "completeness"}
        return rows if {"tracks", "order_completed"} <= covered else None

    rows = _poll("a quality round's results in the warehouse", first_round, stack)
    assert all(r[3] for r in rows), f"a healthy load passes every check: {[r for r in rows if not r[3]]}"
    assert _pg(warehouse, 'SELECT count(*) FROM "checked"."order_completed"') == [(len(first),)]

    def bq_round() -> list[dict[str, Any]] | None:
        rows = _bq(bigquery_endpoint, bq_results)
        covered = {r["table_name"] for r in rows or () if r["check_name"] == "gx_suite"}
        return rows if {"tracks", "order_completed"} <= covered else None

    bq_rows = _poll("a quality round's results in BigQuery, GX's among them", bq_round, stack)
    assert all(r["passed"] for r in bq_rows), [r for r in bq_rows if not r["passed"]]
    runs = _airflow_rows(stack, "SELECT run_type FROM dag_run WHERE dag_id = 'quality_checks'")
    assert runs and {r[0] for r in runs} == {"asset_triggered"}, "runs come from the load asset only"

    # A hand-run fix deletes rows; the next load's quality round must catch it.
    _pg(warehouse, "DELETE FROM \"checked\".\"order_completed\" WHERE \"id\" IN ('q1-0', 'q1-1', 'q1-2')")
    orders = f"`{PROJECT}.checked.order_completed`"
    _bq(bigquery_endpoint, f"INSERT INTO {orders} SELECT * FROM {orders} WHERE id = 'q1-5'")
    _send(stack, source_id, "q2", 5)

    def failed_checks() -> list[str] | None:
        rows = _airflow_rows(
            stack,
            "SELECT ti.rendered_map_index FROM task_instance ti"
            " WHERE ti.dag_id = 'quality_checks' AND ti.task_id = 'check' AND ti.state = 'failed'"
            " AND ti.rendered_map_index LIKE 'checked:%'",
        )
        labels = [str(r[0]) for r in rows]
        found = [any(m in label for label in labels) for m in ("completeness", "gx_suite")]
        return labels if all(found) else None

    labels = _poll("both warehouses' failed quality tasks", failed_checks, stack)
    assert any("failed completeness order_completed" in label for label in labels), labels
    assert any(
        "id_unique order_completed" in label and "gx_suite order_completed" in label for label in labels
    )

    def alerted() -> list[dict[str, Any]] | None:
        return list(alerts) or None

    # Every later load (another batch of these events) runs a failing round and alerts again.
    alert = _poll("the webhook alert", alerted, stack)[0]
    assert "completeness on order_completed (observed 3)" in alert["text"]
    assert alert["report"]["integration_id"] == integration_id and not alert["report"]["passed"]
    mails = [p.read_text() for p in (stack.home / "outbox").glob("*quality-alert*.eml")]
    assert mails and "To: data@example.com" in mails[0] and "FAIL completeness" in mails[0]
    stored = _pg(warehouse, results + ' WHERE NOT "passed"') or []
    assert {(r[1], r[2]) for r in stored} == {("completeness", "order_completed")}
    bq_failed = _bq(bigquery_endpoint, bq_results + " WHERE NOT passed") or []
    assert {(r["check_name"], r["table_name"]) for r in bq_failed} == {
        ("id_unique", "order_completed"),
        ("gx_suite", "order_completed"),
    }
