"""``segment_compare`` under the real scheduler: triggered with params, as a person triggers it.

The session's ``eventyard up`` (scheduler with the LocalExecutor, DAG processor, triggerer, API
server), shared with the other scheduler modules (tests/dags/conftest.py). A Postgres warehouse
integration of a source of its own is created through Houston; its database holds Segment's
schema (Segment's Postgres DDL shapes, one event lost for an hour) and ours (loaded by our
loader). The DAG is triggered with ``airflow dags trigger --conf`` as docs/aa-compare.md shows it
(no ``dag.test()``); the mapped compare task must flag exactly that table and hour, write the
HTML report and label itself with the verdict.
"""

from __future__ import annotations

import json
import shlex
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from eventyard.airflow_support import airflow_env
from eventyard.runtime.local_stack import Houston, RunningStack
from eventyard.settings import Settings
from eventyard.warehouse.dialects.postgres import PostgresDialect
from tests.compare.aa_fixture import DROPPED_HOUR, DROPPED_TABLE, START, UNTIL, calls, load_ours, load_segment
from tests.compare.test_aa_compare_docs import doc_commands
from tests.conftest import _fresh_pg_database
from tests.warehouse.ext.redshift_pg import pg_details

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.xdist_group("scheduler_e2e")]

START_TIMEOUT = 420.0
RUN_TIMEOUT = 300.0


@pytest.fixture(scope="module")
def compare_stack(stack: RunningStack) -> RunningStack:
    """The session's ``eventyard up`` (tests/dags/conftest.py), once it has parsed segment_compare."""
    _wait_for_dag(stack, "segment_compare")
    return stack


def _airflow_rows(stack: RunningStack, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    path = stack.home / "airflow" / "airflow.db"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as db:
        return db.execute(query, params).fetchall()


def _wait_for_dag(stack: RunningStack, dag_id: str) -> None:
    """The stack answers before the DAG processor has parsed every file (slow on a loaded machine):
    a trigger before that fails with DagNotFound, so wait for the DAG's row (bounded)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if _airflow_rows(stack, "SELECT 1 FROM dag WHERE dag_id = ?", (dag_id,)):
            return
        time.sleep(1.0)
    pytest.fail(f"{dag_id} not parsed after {START_TIMEOUT:.0f} s\n{stack.log_tail(200)}")


def _trigger_as_documented(stack: RunningStack, integration: str, run_id: str) -> None:
    """docs/aa-compare.md's ``airflow dags trigger`` command, as written (plus a run id to find it)."""
    (command,) = doc_commands("airflow")
    argv = shlex.split(command.replace("$INTEGRATION", integration))
    env = airflow_env(Settings(home=stack.home), base=stack.env, api_port=stack.ports.airflow)
    airflow = str(Path(sys.executable).with_name("airflow"))
    proc = subprocess.run(
        [airflow, *argv[1:], "--run-id", run_id],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]


def _trigger(stack: RunningStack, run_id: str, conf: dict[str, Any]) -> None:
    env = airflow_env(Settings(home=stack.home), base=stack.env, api_port=stack.ports.airflow)
    airflow = str(Path(sys.executable).with_name("airflow"))
    argv = [airflow, "dags", "trigger", "segment_compare", "--run-id", run_id, "--conf", json.dumps(conf)]
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]


def _wait_for_run(stack: RunningStack, run_id: str) -> str:
    deadline = time.monotonic() + RUN_TIMEOUT
    state = None
    while time.monotonic() < deadline:
        rows = _airflow_rows(
            stack, "SELECT state FROM dag_run WHERE dag_id = 'segment_compare' AND run_id = ?", (run_id,)
        )
        state = rows[0][0] if rows else None
        if state in ("success", "failed"):
            return str(state)
        time.sleep(1.0)
    pytest.fail(f"run {run_id} still {state} after {RUN_TIMEOUT:.0f} s\n{stack.log_tail(200)}")


def test_a_triggered_comparison_flags_the_dropped_hour_under_the_real_scheduler(
    compare_stack: RunningStack,
    account: tuple[Houston, str],
    switched_off_after: list[str],
    pg_server_url: str,
) -> None:
    stack = compare_stack
    houston = account[0]
    source_id = houston.create_source("compared")
    database = _fresh_pg_database(pg_server_url)
    details = pg_details(database)
    details.pop("bucketName")
    config = {"namespace": "shop", "segmentSchema": "segment_shop"}  # the daily mode's setting
    integration = houston.add_integration(source_id, "postgres", details, config)
    switched_off_after.append(integration)
    with PostgresDialect(details, Settings(home=stack.home)) as warehouse:
        load_segment(warehouse, "segment_shop", "postgres", drop=True)
        warehouse.ensure_schema("shop")
        load_ours(warehouse, "shop", calls())

    _trigger_as_documented(stack, integration, "aa-check")
    state = _wait_for_run(stack, "aa-check")
    assert state == "success", stack.log_tail(200)

    (label,) = _airflow_rows(
        stack,
        "SELECT rendered_map_index FROM task_instance WHERE dag_id = 'segment_compare'"
        " AND run_id = 'aa-check' AND task_id = 'compare'",
    )
    assert label[0] == "segment_shop vs shop: 2 of 8 tables differ: order_completed, tracks"
    (value,) = _airflow_rows(
        stack,
        "SELECT value FROM xcom WHERE dag_id = 'segment_compare' AND run_id = 'aa-check'"
        " AND task_id = 'compare' AND key = 'return_value'",
    )
    result = json.loads(value[0])
    if isinstance(result, str):  # Airflow may store the serialized form as a JSON string
        result = json.loads(result)
    assert result["ok"] is False and "not by id" in result["matching"]
    assert {t for t, v in result["verdicts"].items() if v != "match"} == {DROPPED_TABLE, "tracks"}
    hour = DROPPED_HOUR.isoformat()
    assert {(f["table"], f["event"], f["hour"]) for f in result["flags"] if f["hour"]} == {
        (DROPPED_TABLE, None, hour),
        ("tracks", DROPPED_TABLE, hour),
    }
    html = Path(result["html"]).read_text(encoding="utf-8")
    assert Path(result["html"]).is_relative_to(stack.home.resolve()) and "<svg" in html

    # The daily mode (no integration param: every integration configured with segmentSchema),
    # here over the fixture's window, maps one task over the configured integration.
    _trigger(stack, "daily-mode", {"since": START.isoformat(), "until": UNTIL.isoformat()})
    assert _wait_for_run(stack, "daily-mode") == "success", stack.log_tail(200)
    labels = _airflow_rows(
        stack,
        "SELECT rendered_map_index FROM task_instance WHERE dag_id = 'segment_compare'"
        " AND run_id = 'daily-mode' AND task_id = 'compare'",
    )
    assert labels == [("segment_shop vs shop: 2 of 8 tables differ: order_completed, tracks",)]
