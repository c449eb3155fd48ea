"""``segment_merge`` under the real scheduler: the session's ``eventyard up`` (scheduler with the
LocalExecutor, DAG processor, triggerer, API server; tests/dags/conftest.py), the DAG triggered
by hand with params through Airflow's REST API, as a person does from the UI.

The warehouse is a real Postgres database holding Eventyard's tables (loaded by our loader) and a
Segment schema built from Segment's DDL shapes. The test checks the run's outcome in the
warehouse, one mapped task per table with its reconciliation as its label, the progress lines in
the task log, and that a second run adds nothing.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from eventyard.runtime.local_stack import RunningStack
from tests.conftest import _fresh_pg_database
from tests.dags.conftest import STACK_SECRET, stack_settings
from tests.migration.conftest import SEGMENT_SCHEMA, build_switch
from tests.warehouse.conftest import Warehouse

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.xdist_group("scheduler_e2e")]

START_TIMEOUT = 420.0
RUN_TIMEOUT = 300.0


class Airflow:
    """Airflow's REST API of the shared ``eventyard up``, without login (the laptop's all-admins mode)."""

    def __init__(self, stack: RunningStack) -> None:
        self.stack = stack
        self.home = stack.home
        self.api = f"http://127.0.0.1:{stack.ports.airflow}/api/v2"

    def log_tail(self, lines: int = 150) -> str:
        return self.stack.log_tail(lines)

    def get(self, path: str) -> Any:
        reply = httpx.get(self.api + path, timeout=120)
        reply.raise_for_status()
        return reply.json()

    def wait(self, what: str, probe: Any, timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        process = self.stack.process
        while time.monotonic() < deadline:
            if process is not None and process.poll() is not None:
                pytest.fail(f"eventyard up exited ({process.returncode}):\n{self.log_tail()}")
            try:
                value = probe()
            except (httpx.HTTPError, ValueError):
                value = None
            if value is not None:
                return value
            time.sleep(1.0)
        pytest.fail(f"timed out waiting for {what}\n{self.log_tail()}")


@pytest.fixture(scope="module")
def airflow(stack: RunningStack) -> Airflow:
    """The session's stack (tests/dags/conftest.py) once its API server has parsed segment_merge."""
    running = Airflow(stack)
    running.wait("the parsed segment_merge DAG", lambda: running.get("/dags/segment_merge"), START_TIMEOUT)
    return running


def _trigger(airflow: Airflow, run_id: str, conf: dict[str, Any]) -> str:
    """POST a run with our own id, so that a POST retried after a timeout (a busy machine's API
    server) cannot start a second run: Airflow answers 409 for an id it already has."""

    def post() -> str | None:
        body = {"dag_run_id": run_id, "logical_date": None, "conf": conf}
        reply = httpx.post(f"{airflow.api}/dags/segment_merge/dagRuns", json=body, timeout=120)
        if reply.status_code in (200, 201, 409):
            return run_id
        raise AssertionError(reply.text)

    return str(airflow.wait(f"the trigger of {run_id}", post, RUN_TIMEOUT))


def _finished(airflow: Airflow, run_id: str) -> str:
    def state() -> str | None:
        s = str(airflow.get(f"/dags/segment_merge/dagRuns/{run_id}")["state"])
        return s if s in ("success", "failed") else None

    return str(airflow.wait(f"run {run_id}", state, RUN_TIMEOUT))


def test_segment_merge_runs_under_the_real_scheduler_one_mapped_task_per_table(
    airflow: Airflow, switched_off_after: list[str], pg_server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The test writes the integration and our tables into the stack's own state (same home, same key).
    monkeypatch.setenv("EVENTYARD_HOME", str(airflow.home))
    monkeypatch.setenv("EVENTYARD_SECRET_KEY", STACK_SECRET)
    wh = Warehouse("postgres", {"url": _fresh_pg_database(pg_server_url)}, stack_settings(airflow.stack))
    wh.setup(source_name="Merge Shop")
    switched_off_after.append(wh.integration_id)
    wh.schema = "merge_shop"

    def run(statements: list[str]) -> None:
        with wh.dialect() as d:
            d.run(["SET TIME ZONE 'UTC'", *statements])

    switch = build_switch(wh, "postgres", run)
    conf = {"integration": wh.integration_id, "segment_schema": SEGMENT_SCHEMA, "chunk_rows": 2}

    run_id = _trigger(airflow, "merge-first", conf)
    assert _finished(airflow, run_id) == "success", airflow.log_tail()
    assert switch.ids("order_completed") == ["e-2", "s1", "s2", "s3", "shared-1"]
    assert switch.ids("legacy_event") == ["s4"]

    path = f"/dags/segment_merge/dagRuns/{run_id}/taskInstances?task_id=merge_table&limit=100"
    tasks = airflow.wait("the task instances", lambda: airflow.get(path), RUN_TIMEOUT)
    mapped = {t["rendered_map_index"]: t for t in tasks["task_instances"] if t["task_id"] == "merge_table"}
    tables = {label.split(":")[0] for label in mapped}
    assert tables == {"identifies", "legacy_event", "order_completed", "pages", "tracks", "users"}
    assert "order_completed: 3 merged, 1 present, 1 after cutover" in mapped
    orders = mapped["order_completed: 3 merged, 1 present, 1 after cutover"]
    assert all(t["state"] == "success" for t in mapped.values())
    log_path = (
        f"/dags/segment_merge/dagRuns/{run_id}/taskInstances/merge_table/logs/{orders['try_number']}"
        f"?map_index={orders['map_index']}&full_content=true"
    )
    logs = airflow.wait("the task's log", lambda: airflow.get(log_path), RUN_TIMEOUT)
    text = str(logs)
    assert "order_completed: 0 / 4 rows" in text and "order_completed: 4 / 4 rows" in text
    assert "-> OK" in text

    # A second run (same params) adds nothing.
    again = _trigger(airflow, "merge-again", conf)
    assert _finished(airflow, again) == "success", airflow.log_tail()
    assert switch.ids("order_completed") == ["e-2", "s1", "s2", "s3", "shared-1"]
    assert switch.count(wh.schema, "tracks") == 6
