"""Run in a subprocess by test_load_warehouses.py: one DAG run, then follow the UI plugin's link.

Airflow reads its configuration on first import, so each DAG run gets a fresh interpreter with
the test's EVENTYARD_HOME (and thus its own AIRFLOW_HOME and SQLite metadata DB).
"""

from __future__ import annotations

import json
import sys

from fastapi.testclient import TestClient

from eventyard.airflow_links import redirect_app
from eventyard.airflow_support import run_dag_once
from eventyard.settings import get_settings


def main() -> None:
    """Print one JSON line: the run's outcome plus where the task's debugger link redirects."""
    settings = get_settings()
    outcome = run_dag_once(settings, sys.argv[1])
    client = TestClient(redirect_app(settings))
    links = {}
    for map_index in outcome["results"].get("load", {}):
        response = client.get(
            f"/debugger/{outcome['dag_id']}/{outcome['run_id']}/load/{map_index}", follow_redirects=False
        )
        links[map_index] = response.headers.get("location")
    missing = client.get(f"/debugger/{outcome['dag_id']}/{outcome['run_id']}/load/99", follow_redirects=False)
    outcome["links"] = links
    outcome["missing_link_status"] = missing.status_code
    print("RESULT " + json.dumps(outcome, default=str))


if __name__ == "__main__":
    main()
