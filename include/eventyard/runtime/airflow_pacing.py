"""Airflow's services with their idle housekeeping paced for a laptop (``eventyard up``, development).

Airflow 3.3 hard-codes one-second loops in two services, and each round queries the metadata
DB whether or not anything happened; no setting slows them:

- the triggerer's supervisor assigns unassigned triggers to itself (``load_triggers``: four
  queries), deletes triggers nothing uses (``clean_unused``) and computes its gauges
  (``emit_metrics``) every second;
- the DAG processor claims re-parse requests made in the UI (``claim_priority_files``), fetches
  DAG callbacks (``fetch_callbacks``) and purges warnings of inactive DAGs
  (``purge_inactive_dag_warnings``) every second;
- the API server runs uvicorn, whose main loop wakes ten times a second.

Measured on the idle stack those loops were the largest part of its CPU (docs/airflow.md). Here
they run at most every ``HOUSEKEEPING_SECONDS`` (10 s); every other step of each loop still runs
every second — above all the triggerer handling the events its triggers fire, which is what
makes the load and delivery DAGs run — and uvicorn ticks once a second (``QuietServer``). What
it costs: a trigger created by a deferred task or a newly parsed asset watcher starts up to 10 s
later, a UI "re-parse" or a DAG-level callback waits up to 10 s more. Eventyard's DAGs defer no
task, and the landing watcher keeps running once assigned. Decision:
docs/decisions/0029-airflow-housekeeping-paced-on-laptops.md.

Each paced method is one of Airflow's documented override points or a method of the same shape
(no arguments, a list or nothing returned); ``install`` checks that every target still exists,
so an Airflow upgrade that renames one fails at start (and in the test suite), never silently.

Run as ``python -m eventyard.runtime.airflow_pacing <airflow command> [args...]``: the pacing of
that command's service is installed, then Airflow's own command line runs in this process.
"""

from __future__ import annotations

import functools
import importlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eventyard.errors import FatalError

HOUSEKEEPING_SECONDS = 10.0
PACED_ATTRIBUTE = "__eventyard_paced__"


class AirflowPacingError(FatalError, RuntimeError):
    """A method this module paces is missing from the installed Airflow (an upgrade changed it)."""


@dataclass(frozen=True)
class Paced:
    """A method of an Airflow class that runs at most every ``seconds``; skipped calls return ``idle()``."""

    module: str
    cls: str
    method: str
    idle: Callable[[], Any]
    seconds: float = HOUSEKEEPING_SECONDS


def _nothing() -> None:
    return None


_TRIGGERER = ("airflow.jobs.triggerer_job_runner", "TriggerRunnerSupervisor")
_DAG_PROCESSOR = ("airflow.dag_processing.manager", "DagFileProcessorManager")
TRIGGERER = (
    Paced(*_TRIGGERER, "load_triggers", _nothing),
    Paced(*_TRIGGERER, "clean_unused", _nothing),
    Paced(*_TRIGGERER, "emit_metrics", _nothing),
)
DAG_PROCESSOR = (
    Paced(*_DAG_PROCESSOR, "claim_priority_files", list),
    Paced(*_DAG_PROCESSOR, "fetch_callbacks", list),
    Paced(*_DAG_PROCESSOR, "purge_inactive_dag_warnings", _nothing),
)
PACED_BY_COMMAND: dict[str, tuple[Paced, ...]] = {"triggerer": TRIGGERER, "dag-processor": DAG_PROCESSOR}


def paced(method: Callable[..., Any], seconds: float, idle: Callable[[], Any]) -> Callable[..., Any]:
    """``method`` (of an instance) run at most once every ``seconds``; the first call always runs.

    The next run is due ``seconds`` after a run starts, whether it returned or raised (a failing
    query is retried on the same cadence, not every second).
    """
    # Keyed by instance id, not stored on the instance: Airflow's classes are slotted attrs
    # classes (no new attributes) and unhashable (no weak-key dict). One instance per service.
    due: dict[int, float] = {}

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        now = time.monotonic()
        if now < due.get(id(self), now):
            return idle()
        due[id(self)] = now + seconds
        return method(self, *args, **kwargs)

    setattr(wrapper, PACED_ATTRIBUTE, seconds)
    return wrapper


def install(command: str) -> list[str]:
    """Pace the housekeeping of Airflow's ``command`` service; return what was paced ("Class.method").

    Idempotent. Raises ``AirflowPacingError`` if a target is missing.
    """
    done: list[str] = []
    for target in PACED_BY_COMMAND.get(command, ()):
        cls = getattr(importlib.import_module(target.module), target.cls, None)
        method = getattr(cls, target.method, None) if cls is not None else None
        if method is None or not callable(method):
            raise AirflowPacingError(
                f"{target.module}.{target.cls}.{target.method} is gone: this Airflow is not the one "
                "eventyard.runtime.airflow_pacing was written for; set EVENTYARD_AIRFLOW_PACING=false"
            )
        if not hasattr(method, PACED_ATTRIBUTE):
            setattr(cls, target.method, paced(method, target.seconds, target.idle))
        done.append(f"{target.cls}.{target.method}")
    if command == "api-server":
        from eventyard.runtime.quiet_uvicorn import QuietServer

        # Airflow's api-server calls uvicorn.run, which builds the Server of the module
        # uvicorn.main (``uvicorn.main`` the attribute is the click command, not that module).
        uvicorn_main = importlib.import_module("uvicorn.main")
        if getattr(uvicorn_main, "Server", None) is None:
            raise AirflowPacingError("uvicorn.main.Server is gone: this uvicorn is not the one paced here")
        uvicorn_main.Server = QuietServer  # type: ignore[attr-defined]  # a ModuleType to mypy
        done.append("uvicorn.Server.main_loop")
    return done


def main(argv: list[str] | None = None) -> None:
    """Install the pacing of ``argv[0]``'s service, then run ``airflow <argv>`` in this process."""
    args = list(sys.argv[1:] if argv is None else argv)
    # Airflow's configuration first, as Airflow's own entry point does (its import order).
    importlib.import_module("airflow.configuration")
    install(args[0] if args else "")
    from airflow.__main__ import main as airflow_main

    sys.argv = ["airflow", *args]
    airflow_main()


if __name__ == "__main__":
    main()
