"""The scheduled path as it runs in production: ``eventyard up`` with the real Airflow services.

One ``eventyard up`` process (collector, Houston, and Airflow's scheduler with the
LocalExecutor, DAG processor, triggerer and API server — started exactly as a user starts
them) in a fresh state directory on free ports. Everything is configured through Houston's
API; events go in through the collector with Segment's Python SDK. Nobody calls
``dag.test()``, triggers a DAG or unpauses one: the DAGs must run because batches landed.

The first test waits for rows in a real Postgres warehouse and for arrivals at a local
webhook receiver. The second points a warehouse at a port that refuses connections: the load
task fails, Airflow retries it, the port opens meanwhile, and the retry loads every event once.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from segment.analytics import Client
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from eventyard.runtime.local_stack import Houston, RunningStack, free_port
from tests.conftest import _fresh_pg_database
from tests.dags.tcp_gate import TcpGate
from tests.destinations.contracts import WEBHOOK_SECRET, WEBHOOK_TOKEN, webhook_contract, webhook_keys
from tests.destinations.receivers import VendorReceiver, running

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.xdist_group("scheduler_e2e")]

ARRIVAL_TIMEOUT = 300.0
T = TypeVar("T")


@pytest.fixture(scope="module")
def receiver() -> Iterator[VendorReceiver]:
    """A customer's webhook endpoint that checks Segment's signature and counts messageIds."""
    with running(webhook_contract, keys=webhook_keys) as webhook:
        yield webhook


def _postgres_details(url: str, port: int | None = None) -> dict[str, Any]:
    parsed = make_url(url)
    return {
        "host": "127.0.0.1",
        "port": port or parsed.port or 5432,
        "database": parsed.database,
        "user": parsed.username,
        "password": parsed.password or "",
        "sslmode": "disable",
    }


def _send(stack: RunningStack, write_key: str, prefix: str, count: int) -> set[str]:
    errors: list[object] = []
    client = Client(write_key=write_key, host=stack.collector_url, on_error=lambda e, b: errors.append(e))
    ids = set()
    for i in range(count):
        message_id = f"{prefix}-{i}"
        client.track(user_id=f"u{i % 3}", event="Order Completed", properties={"n": i}, message_id=message_id)
        ids.add(message_id)
    client.flush()
    client.join()
    assert errors == []
    return ids


def _wait_for(what: str, probe: Callable[[], T | None], stack: RunningStack, timeout: float) -> T:
    """Poll ``probe`` until it returns a value; on timeout fail with the stack's log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value is not None:
            return value
        time.sleep(1.0)
    pytest.fail(
        f"timed out after {timeout:.0f} s waiting for {what}\n--- eventyard up log ---\n{stack.log_tail(200)}"
    )


def _warehouse_ids(url: str, schema: str) -> list[str] | None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            if conn.execute(text("SELECT to_regclass(:t)"), {"t": f'"{schema}"."tracks"'}).scalar() is None:
                return None
            return list(conn.execute(text(f'SELECT id FROM "{schema}"."tracks"')).scalars())
    finally:
        engine.dispose()


def _airflow_rows(stack: RunningStack, query: str) -> list[tuple[Any, ...]]:
    """Read Airflow's own metadata DB (SQLite in the embedded default), read-only."""
    path = stack.home / "airflow" / "airflow.db"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as db:
        return db.execute(query).fetchall()


def test_events_reach_postgres_and_webhook_with_the_real_scheduler(
    stack: RunningStack, account: tuple[Houston, str], receiver: VendorReceiver, pg_server_url: str
) -> None:
    houston, source_id = account
    warehouse = _fresh_pg_database(pg_server_url)
    houston.add_integration(source_id, "postgres", _postgres_details(warehouse), {"namespace": "shop"})
    hook = {"webhookUrl": f"{receiver.url}/segment", "sharedSecret": WEBHOOK_SECRET}
    houston.add_integration(source_id, "webhooks", {**hook, "headers": {"Authorization": WEBHOOK_TOKEN}}, {})

    sent = _send(stack, source_id, "e2e", 40)

    def loaded() -> list[str] | None:
        ids = _warehouse_ids(warehouse, "shop")
        return ids if ids is not None and set(ids) >= sent else None

    def delivered() -> set[str] | None:
        return set(receiver.deliveries) if set(receiver.deliveries) >= sent else None

    rows = _wait_for("rows in the Postgres warehouse", loaded, stack, ARRIVAL_TIMEOUT)
    arrived = _wait_for("arrivals at the webhook receiver", delivered, stack, ARRIVAL_TIMEOUT)
    assert sorted(rows) == sorted(sent), "every event is one row, none doubled"
    assert arrived == sent and receiver.duplicates() == {} and receiver.violations == []

    # The DAGs ran on their own, unpaused at creation, because batches landed (asset events).
    def both_ran() -> set[str] | None:
        runs = _airflow_rows(
            stack, "SELECT dag_id FROM dag_run WHERE run_type = 'asset_triggered' AND state = 'success'"
        )
        dags = {dag for (dag,) in runs}
        return dags if dags >= {"load_warehouses", "deliver_destinations"} else None

    _wait_for("successful asset-triggered runs of both DAGs", both_ran, stack, ARRIVAL_TIMEOUT)
    paused = _airflow_rows(
        stack, "SELECT dag_id, is_paused FROM dag WHERE dag_id IN ('load_warehouses', 'deliver_destinations')"
    )
    assert sorted(paused) == [("deliver_destinations", 0), ("load_warehouses", 0)]


def test_a_load_failing_once_succeeds_on_airflows_retry_with_nothing_lost_or_doubled(
    stack: RunningStack, account: tuple[Houston, str], pg_server_url: str
) -> None:
    houston = account[0]
    warehouse = _fresh_pg_database(pg_server_url)
    target = make_url(warehouse)
    gate = TcpGate(free_port(), (target.host or "127.0.0.1", target.port or 5432))  # closed: refused
    source_id = houston.create_source("flaky")
    houston.add_integration(
        source_id, "postgres", _postgres_details(warehouse, gate.port), {"namespace": "flaky"}
    )
    try:
        sent = _send(stack, source_id, "retry", 25)

        def failed_once() -> list[tuple[Any, ...]] | None:
            rows = _airflow_rows(
                stack,
                "SELECT run_id, map_index, try_number FROM task_instance"
                " WHERE dag_id = 'load_warehouses' AND task_id = 'load' AND state = 'up_for_retry'",
            )
            return rows or None

        waiting = _wait_for("a load task waiting for its retry", failed_once, stack, ARRIVAL_TIMEOUT)
        assert _warehouse_ids(warehouse, "flaky") is None, "nothing was loaded while unreachable"
        gate.open()  # the warehouse comes back before Airflow's retry

        def loaded() -> list[str] | None:
            ids = _warehouse_ids(warehouse, "flaky")
            return ids if ids is not None and set(ids) >= sent else None

        rows = _wait_for("the retry to load the rows", loaded, stack, ARRIVAL_TIMEOUT)
        assert sorted(rows) == sorted(sent), "nothing lost, nothing doubled"

        run_id, map_index, _ = waiting[0]
        retried = _airflow_rows(
            stack,
            "SELECT state, try_number FROM task_instance"
            " WHERE dag_id = 'load_warehouses' AND task_id = 'load'"
            f" AND run_id = '{run_id}' AND map_index = {int(map_index)}",
        )
        assert retried and retried[0][1] >= 2, f"the rows came from Airflow's retry: {retried}"
        time.sleep(3)  # a later run (cron net, asset event) must not add anything either
        assert sorted(_warehouse_ids(warehouse, "flaky") or []) == sorted(sent)
    finally:
        gate.close()
