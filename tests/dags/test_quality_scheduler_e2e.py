"""quality_checks under the real scheduler: run by the asset the load tasks update, never
triggered by hand, no ``dag.test()``.

Through Houston, a source gets a Postgres warehouse with alert targets (a mail address and a
local webhook). Events sent with Segment's SDK land, ``load_warehouses`` loads them, and the
``eventyard-warehouse-loads`` asset runs ``quality_checks``: its results land in the
warehouse's ``quality_results``, all passed. Then rows are deleted by hand; the next events'
load runs the checks again, which catch the gap, fail the task (its label names the check) and
alert by mail (the outbox) and webhook.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import psycopg
import pytest

from eventyard.runtime.local_stack import Houston, RunningStack, free_port
from tests.conftest import _fresh_pg_database
from tests.dags.test_scheduler_e2e import _airflow_rows, _postgres_details, _send, _wait_for

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


def _poll(what: str, probe: Callable[[], T | None], stack: RunningStack) -> T:
    return _wait_for(what, probe, stack, ARRIVAL_TIMEOUT)


def test_quality_checks_run_on_the_load_asset_and_alert_on_a_fault(
    stack: RunningStack,
    account: tuple[Houston, str],
    pg_server_url: str,
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

    first = _send(stack, source_id, "q1", 20)

    def first_round() -> list[tuple[Any, ...]] | None:
        rows = _pg(warehouse, results)
        covered = {r[2] for r in rows or () if r[1] == "completeness"}
        return rows if {"tracks", "order_completed"} <= covered else None

    rows = _poll("a quality round's results in the warehouse", first_round, stack)
    assert all(r[3] for r in rows), f"a healthy load passes every check: {[r for r in rows if not r[3]]}"
    assert _pg(warehouse, 'SELECT count(*) FROM "checked"."order_completed"') == [(len(first),)]
    runs = _airflow_rows(stack, "SELECT run_type FROM dag_run WHERE dag_id = 'quality_checks'")
    assert runs and {r[0] for r in runs} == {"asset_triggered"}, "runs come from the load asset only"

    # A hand-run fix deletes rows; the next load's quality round must catch it.
    _pg(warehouse, "DELETE FROM \"checked\".\"order_completed\" WHERE \"id\" IN ('q1-0', 'q1-1', 'q1-2')")
    _send(stack, source_id, "q2", 5)

    def failed_check() -> list[tuple[Any, ...]] | None:
        rows = _airflow_rows(
            stack,
            "SELECT ti.state, ti.rendered_map_index FROM task_instance ti"
            " WHERE ti.dag_id = 'quality_checks' AND ti.task_id = 'check' AND ti.state = 'failed'"
            " AND ti.rendered_map_index LIKE 'checked:%'",
        )
        return rows or None

    (_, label), *_ = _poll("the failed quality task", failed_check, stack)
    assert "failed completeness order_completed" in label, label

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
