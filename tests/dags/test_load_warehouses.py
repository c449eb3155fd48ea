"""The load_warehouses DAG: it parses, and a real run loads landed batches into DuckDB.

Airflow runs in subprocesses (its configuration is fixed at first import): each test gets its
own EVENTYARD_HOME, hence its own AIRFLOW_HOME and SQLite metadata DB.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from eventyard.airflow_support import airflow_env, project_root
from eventyard.settings import Settings
from tests.warehouse.factories import land_batch, make_integration, message

pytestmark = pytest.mark.slow


def _run(settings: Settings, *args: str) -> str:
    env = airflow_env(settings)
    env["EVENTYARD_DATABASE_URL"] = settings.resolved_database_url
    proc = subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


DESCRIBE_DAGS = """
import json
from airflow.dag_processing.dagbag import DagBag

bag = DagBag(dag_folder=DAGS)
out = {"errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": sorted(bag.dags)}
for dag_id in ("load_warehouses", "deliver_destinations"):
    d = bag.dags[dag_id]
    assets = list(d.timetable.asset_condition.objects)
    out[dag_id] = {
        "catchup": d.catchup, "max_active_runs": d.max_active_runs, "doc": bool(d.doc_md),
        "paused_upon_creation": d.is_paused_upon_creation, "cron": d.timetable.timetable.expression,
        "assets": [a.name for a in assets],
        "watchers": [w.trigger.serialize()[0] for a in assets for w in a.watchers],
        "tasks": sorted(t.task_id for t in d.tasks),
    }
out["retries"] = bag.dags["load_warehouses"].get_task("load").retries
print("RESULT " + json.dumps(out))
"""


def test_dags_folder_imports_cleanly(sqlite_settings: Settings) -> None:
    script = DESCRIBE_DAGS.replace("DAGS", repr(str(project_root() / "dags")))
    result = json.loads(_run(sqlite_settings, "-c", script).split("RESULT ", 1)[1])
    assert result["errors"] == {}
    assert {"load_warehouses", "deliver_destinations"} <= set(result["dags"])
    for dag_id in ("load_warehouses", "deliver_destinations"):
        dag = result[dag_id]
        assert dag["catchup"] is False and dag["max_active_runs"] == 1 and dag["doc"], dag
        assert dag["paused_upon_creation"] is False, "our DAGs run without a manual unpause"
        # They run when batches land (the manifest watcher), with a slow cron as a safety net.
        assert dag["assets"] == ["eventyard-landed-batches"], dag
        assert dag["watchers"] == ["eventyard.runtime.landed_trigger.LandedBatchesTrigger"], dag
        assert dag["cron"] == "*/10 * * * *", dag
    assert result["load_warehouses"]["tasks"] == ["enabled_integrations", "load"] and result["retries"] >= 1


def test_dag_run_loads_new_batches_and_reports_per_table(sqlite_settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    source_id, integration_id = make_integration(sqlite_settings, "duckdb", {"path": str(path)})
    moves = [
        message("track", event="up", anonymousId="p1", properties={"score": i, "tile": 2**i})
        for i in range(1, 8)
    ]
    land_batch(sqlite_settings, source_id, moves[:4])
    land_batch(
        sqlite_settings, source_id, [*moves[4:], message("identify", userId="u1", traits={"plan": "pro"})]
    )
    # A disabled integration is not mapped.
    make_integration(sqlite_settings, "duckdb", {"path": str(tmp_path / "other.duckdb")}, source_name="Other")
    _disable_last_integration(sqlite_settings)

    out = _run(sqlite_settings, str(Path(__file__).with_name("dag_run_script.py")), "load_warehouses")
    outcome: dict[str, Any] = json.loads(out.split("RESULT ", 1)[1])

    assert outcome["state"] == "success"
    assert outcome["results"]["enabled_integrations"]["-1"] == [integration_id]
    report = outcome["results"]["load"]["0"]
    assert report["integration_id"] == integration_id and report["source_id"] == source_id
    assert report["batches_completed"] == 2 and report["remaining"] == 0
    assert report["tables"]["up"] == {"rows_loaded": 7, "rows_discarded": 0}
    assert report["tables"]["tracks"]["rows_loaded"] == 7
    assert report["tables"]["users"]["rows_loaded"] == 1
    # 8 events (7 tracks, 1 identify) make 7 `up` + 7 `tracks` + 1 `identifies` + 1 `users` rows:
    # the label counts events first, so the doubled rows do not read like duplicates.
    assert report["events"] == 8
    assert outcome["labels"]["load"]["0"] == "duckdb my_shop: 8 events -> 16 rows, 0 discarded"
    assert outcome["links"]["0"] == f"http://127.0.0.1:8080/debugger/{source_id}"
    assert outcome["missing_link_status"] == 404
    # Airflow's task log holds one line per table.
    logs = "\n".join(
        p.read_text() for p in (Path(airflow_env(sqlite_settings)["AIRFLOW_HOME"])).rglob("*.log")
    )
    assert "up: 7 rows loaded, 0 discarded" in logs or "up: 7 rows loaded, 0 discarded" in out

    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("SELECT count(*), max(score) FROM my_shop.up").fetchone() == (7, 7)
        assert con.execute("SELECT plan FROM my_shop.users WHERE id = 'u1'").fetchone() == ("pro",)


def test_terminal_errors_fail_the_task_without_retries(sqlite_settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    source_id, _ = make_integration(sqlite_settings, "duckdb", {"path": str(path)})
    with duckdb.connect(str(path)) as con:  # a table every row violates: retrying cannot help
        con.execute('CREATE SCHEMA my_shop; CREATE TABLE my_shop.up ("id" VARCHAR, CHECK (length("id") < 0))')
    land_batch(sqlite_settings, source_id, [message("track", event="up", anonymousId="p1")])

    out = _run(sqlite_settings, str(Path(__file__).with_name("dag_run_script.py")), "load_warehouses")
    outcome: dict[str, Any] = json.loads(out.split("RESULT ", 1)[1])

    assert outcome["state"] == "failed"
    # Failed at once (a transient error would leave it up_for_retry), labelled with the failure.
    assert outcome["task_states"]["load"]["0"] == "failed"
    assert outcome["labels"]["load"]["0"] == "duckdb my_shop: 1 events -> 1 rows, 0 discarded, 1 failed"
    logs = "\n".join(p.read_text() for p in Path(airflow_env(sqlite_settings)["AIRFLOW_HOME"]).rglob("*.log"))
    assert "terminal warehouse error, not retried: up: ConstraintException" in logs + out


def _disable_last_integration(settings: Settings) -> None:
    from sqlalchemy import select

    from eventyard.db.engine import get_engine, session_scope
    from eventyard.db.models import Integration

    with session_scope(get_engine(settings)) as session:
        last = session.scalars(select(Integration).order_by(Integration.created_at.desc())).first()
        assert last is not None
        last.enabled = False


def test_env_respects_operator_airflow_settings(sqlite_settings: Settings) -> None:
    env = airflow_env(
        sqlite_settings, {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "postgresql+psycopg://pg/airflow"}
    )
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == "postgresql+psycopg://pg/airflow"
    assert env["AIRFLOW_HOME"] == str(sqlite_settings.home.resolve() / "airflow")
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str(project_root() / "dags")
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    assert os.path.isdir(env["AIRFLOW__CORE__PLUGINS_FOLDER"])
