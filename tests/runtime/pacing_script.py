"""Run in a subprocess with Airflow's environment: pace the pinned Airflow, then call a paced method.

Prints ``RESULT <json>``: what ``install`` paced for each service, whether every target is now
a paced wrapper, whether a second install wrapped again, and how many times Airflow's own
``DagFileProcessorManager.fetch_callbacks`` reached the metadata DB (a counting stand-in for
``_fetch_callbacks_from_db``) over three calls in a row.
"""

from __future__ import annotations

import importlib
import json

from eventyard.runtime import airflow_pacing


class _Manager:
    """Just what the real ``fetch_callbacks`` touches: its DB read."""

    def __init__(self) -> None:
        self.reads = 0

    def _fetch_callbacks_from_db(self) -> list[str]:
        self.reads += 1
        return ["callback"]


def main() -> None:
    importlib.import_module("airflow.configuration")
    installed = {name: airflow_pacing.install(name) for name in ("triggerer", "dag-processor", "api-server")}
    again = airflow_pacing.install("dag-processor")
    targets = [*airflow_pacing.TRIGGERER, *airflow_pacing.DAG_PROCESSOR]
    wrapped = {}
    for t in targets:
        method = getattr(getattr(importlib.import_module(t.module), t.cls), t.method)
        wrapped[f"{t.cls}.{t.method}"] = getattr(method, airflow_pacing.PACED_ATTRIBUTE, None)
    from airflow.dag_processing.manager import DagFileProcessorManager

    manager = _Manager()
    calls = [DagFileProcessorManager.fetch_callbacks(manager) for _ in range(3)]  # type: ignore[arg-type]
    double = getattr(DagFileProcessorManager.fetch_callbacks, "__wrapped__", None)
    server = importlib.import_module("uvicorn.main").Server.__name__
    print("RESULT " + json.dumps({
        "installed": installed, "again": again, "wrapped": wrapped, "calls": calls, "reads": manager.reads,
        "wrapped_twice": hasattr(double, airflow_pacing.PACED_ATTRIBUTE), "uvicorn_server": server,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
