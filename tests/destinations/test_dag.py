"""The deliver_destinations DAG: it parses without import errors, and ``dag.test()`` runs one
delivery cycle end to end (Airflow runs in a subprocess with its own AIRFLOW_HOME and SQLite
metadata DB, so its process-wide configuration never leaks into other tests)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from eventyard.db.engine import get_engine, session_scope
from eventyard.destinations.models import DeliveryLedger
from eventyard.settings import Settings
from tests.destinations.pipeline import create_org_source, land, message
from tests.destinations.receivers import VendorReceiver
from tests.destinations.test_cycle import webhook_integration

SCRIPT = """
import json
from eventyard.airflow_support import configure_process, run_dag_once
from eventyard.settings import get_settings

settings = get_settings()
configure_process(settings)
from airflow.dag_processing.dagbag import DagBag
from eventyard.airflow_support import project_root

bag = DagBag(dag_folder=str(project_root() / "dags" / "deliver_destinations.py"))
dag = bag.dags["deliver_destinations"]
parsed = {"import_errors": {str(k): str(v) for k, v in bag.import_errors.items()},
          "doc": bool(dag.doc_md),
          "tasks": sorted(dag.task_ids)}
result = run_dag_once(settings, "deliver_destinations")
print("RESULT " + json.dumps({"parsed": parsed, "state": result["state"]}))
"""


@pytest.mark.slow
def test_dag_parses_and_runs_one_cycle(sqlite_settings: Settings, webhook_receiver: VendorReceiver) -> None:
    org_source = create_org_source(sqlite_settings)
    webhook_integration(sqlite_settings, org_source, webhook_receiver.url, enableBatching=True)
    events = [message("track", i) for i in range(25)]
    land(sqlite_settings, org_source[1], events)

    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=dict(os.environ), capture_output=True, text=True, timeout=400
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stdout[-3000:] + proc.stderr[-5000:]
    result = json.loads(lines[-1].removeprefix("RESULT "))
    assert result["parsed"]["import_errors"] == {}
    assert result["parsed"]["tasks"] == ["deliver", "deliverable_integrations"]
    assert result["parsed"]["doc"] and result["state"] == "success"

    assert sorted(webhook_receiver.deliveries) == sorted(m["messageId"] for m in events)
    with session_scope(get_engine(sqlite_settings)) as session:
        (ledger,) = session.scalars(select(DeliveryLedger)).all()
    assert ledger.delivered == 25 and ledger.done_at is not None
