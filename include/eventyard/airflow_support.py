"""Airflow on Eventyard's embedded defaults: its environment, metadata DB and one-off DAG runs.

Airflow reads its configuration when ``airflow`` is first imported, so everything here that
touches Airflow either runs it in a subprocess with ``airflow_env`` or calls
``configure_process`` before the first import. On the embedded defaults Airflow keeps its
state under ``$EVENTYARD_HOME/airflow`` with a SQLite metadata DB, reads the project's
``dags/`` and ``plugins/``, and binds to loopback. In production, set Airflow's own
``AIRFLOW__DATABASE__SQL_ALCHEMY_CONN`` (e.g. ``postgresql+psycopg://...``) and any other
``AIRFLOW__*`` variable: values already in the environment are never overridden.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from eventyard.airflow_auth import apply_auth_defaults, apply_fernet_default
from eventyard.errors import FatalError
from eventyard.settings import Settings

AIRFLOW_VERSION_STAMP = ".eventyard-migrated"


class AirflowSetupError(FatalError, RuntimeError):
    """Airflow could not be configured or its metadata DB could not be migrated."""


def project_root() -> Path:
    """The folder holding ``dags/`` and ``plugins/``: the checkout, or their copy in the installed
    package (see ``eventyard.project_files``)."""
    from eventyard.project_files import ProjectFilesMissing
    from eventyard.project_files import project_root as root

    try:
        return root()
    except ProjectFilesMissing as exc:
        raise AirflowSetupError(str(exc)) from exc


def airflow_home(settings: Settings) -> Path:
    """``$EVENTYARD_HOME/airflow``: Airflow's config, logs and (by default) SQLite metadata DB."""
    return (settings.home / "airflow").resolve()


DEFAULT_API_PORT = 8280

# Sized for a 2-core laptop: the LocalExecutor forks ``parallelism`` workers up front (32 by
# default), the DAG processor forks per parse, and every loop that wakes up costs idle CPU.
LAPTOP_DEFAULTS = {
    "AIRFLOW__CORE__PARALLELISM": "4",
    "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "4",
    "AIRFLOW__API__WORKERS": "1",
    "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
    # Our DAG files change only with a release: parse them every 10 minutes (a modified file
    # is re-parsed at once), list the folder every minute.
    "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "600",
    "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "60",
    "AIRFLOW__DAG_PROCESSOR__PRINT_STATS_INTERVAL": "0",
    "AIRFLOW__DAG_PROCESSOR__STALE_DAG_THRESHOLD": "120",
    "AIRFLOW__TRIGGERER__CAPACITY": "50",
    # Idle cost: each scheduler loop queries the metadata DB; a loop that found work starts the
    # next one at once, so a 4 s idle sleep adds at most 4 s per step of a run.
    "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "4",
    "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "10",
    "AIRFLOW__SCHEDULER__TRIGGER_TIMEOUT_CHECK_INTERVAL": "60",
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "30",
    "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "10",
    # A loaded 2-core machine can keep the API server busy for more than Airflow's 5 s.
    "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "30",
}


# With the CeleryExecutor a worker can be lost with tasks on it (its container or machine gone):
# docs/deploy.md, "When a worker is lost". Pinned here so that they do not depend on the Celery
# provider's defaults; an operator's AIRFLOW__* values still win.
CELERY_DEFAULTS = {
    # A worker reserves one message per free slot and acknowledges it when the task has ended: it
    # never holds a backlog of not-yet-started tasks that would die with it (those would wait in
    # "queued" for [scheduler] task_queued_timeout, 10 minutes, before being sent again).
    "AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER": "1",
    "AIRFLOW__CELERY__TASK_ACKS_LATE": "True",
    # Redis hands an unacknowledged message out again after this long, so it must outlast the
    # longest task (a load's execution_timeout is 30 minutes) or a healthy task starts twice. A
    # lost worker's tasks are recovered by the scheduler below, not by the broker.
    "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT": "86400",
    # A running task whose worker is gone stops heartbeating: it is failed and retried (on
    # another worker) after 2 minutes (Airflow's default is 5). A live task's supervisor
    # heartbeats every 5 s; tests/dags/test_celery_e2e.py runs with 30 s on a loaded 2-core machine.
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "120",
}


def uses_celery(executor: str) -> bool:
    """Whether ``[core] executor`` (one executor or a comma-separated list, each a name, a class
    path or ``alias:path``) includes the CeleryExecutor."""
    names = (part.strip().rsplit(":", 1)[-1].rsplit(".", 1)[-1] for part in executor.split(","))
    return "CeleryExecutor" in names


def paces_airflow(settings: Settings) -> bool:
    """Whether ``eventyard up``/``airflow`` run Airflow's services with paced housekeeping loops.

    Part of the laptop sizing, so development only (``eventyard.runtime.airflow_pacing``);
    ``EVENTYARD_AIRFLOW_PACING=false`` runs them exactly as Airflow ships them.
    """
    return settings.environment == "development" and settings.airflow_pacing


def execution_api_url(host: str, port: int | str) -> str:
    """The URL task runners call the API server's execution API at (``[core] execution_api_server_url``).

    Airflow's default is ``http://localhost:8080/execution/`` whatever port the API server
    listens on. A wildcard bind address (``0.0.0.0``, ``::``) is reached over loopback, because
    the executor's workers run on the same machine as the API server in every setup this
    function serves (``eventyard airflow``, ``eventyard up``, one container); with the Celery
    or Kubernetes executor set ``AIRFLOW__CORE__EXECUTION_API_SERVER_URL`` to the API server's
    address on the network instead.
    """
    reach = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1", "[::]": "::1"}.get(host, host)
    if ":" in reach and not reach.startswith("["):
        reach = f"[{reach}]"
    return f"http://{reach}:{port}/execution/"


def airflow_env(
    settings: Settings,
    base: Mapping[str, str] | None = None,
    *,
    api_host: str | None = None,
    api_port: int | None = None,
) -> dict[str, str]:
    """The environment Airflow runs with: ``base`` (default: this process's) plus our defaults.

    Defaults only fill gaps, so an operator's ``AIRFLOW__*`` variables always win; ``api_host``
    and ``api_port`` (command-line options) win over the embedded defaults. The execution API
    URL follows the API server's host and port unless set explicitly.
    """
    env = dict(os.environ if base is None else base)
    home = airflow_home(settings)
    root = project_root()
    defaults = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(root / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(root / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__API__HOST": api_host or "127.0.0.1",
        "AIRFLOW__API__PORT": str(api_port or DEFAULT_API_PORT),
        # A loaded 2-core machine can keep the API server busy for more than Airflow's 5 s.
        "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "30",
    }
    if settings.environment == "development":
        # Production is sized by its operator (Celery workers, parallelism), not for a laptop.
        defaults.update(LAPTOP_DEFAULTS)
    for key, value in defaults.items():
        env.setdefault(key, value)
    if uses_celery(env["AIRFLOW__CORE__EXECUTOR"]):
        for key, value in CELERY_DEFAULTS.items():
            env.setdefault(key, value)
    apply_auth_defaults(settings, env)
    apply_fernet_default(settings, env)
    env.setdefault(
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
        execution_api_url(env["AIRFLOW__API__HOST"], env["AIRFLOW__API__PORT"]),
    )
    conn = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    if conn.startswith("postgresql+psycopg://"):
        # psycopg 3 is sync and async in one driver: Airflow's async engine needs no asyncpg then.
        env.setdefault("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC", conn)
    # Tasks run in Airflow's worker processes: they must find the same Eventyard state.
    env["EVENTYARD_HOME"] = str(settings.home.resolve())
    # Airflow starts its services and tasks as `airflow <command>`: this venv's one.
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in env.get("PATH", "").split(os.pathsep):
        env["PATH"] = os.pathsep.join(p for p in (bin_dir, env.get("PATH", "")) if p)
    return env


def configure_process(settings: Settings) -> dict[str, str]:
    """Put ``airflow_env`` into this process's environment, before Airflow is first imported.

    Raises ``AirflowSetupError`` if Airflow was already imported with another home, because its
    configuration would silently stay the old one.
    """
    env = airflow_env(settings)
    if "airflow.configuration" in sys.modules and os.environ.get("AIRFLOW_HOME") != env["AIRFLOW_HOME"]:
        raise AirflowSetupError("Airflow was imported before configure_process(); its home cannot change")
    home = Path(env["AIRFLOW_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    os.environ.update({k: v for k, v in env.items() if k.startswith("AIRFLOW") or k == "EVENTYARD_HOME"})
    return env


def migrate_metadata_db(settings: Settings, *, env: Mapping[str, str] | None = None) -> None:
    """``airflow db migrate`` in a subprocess, skipped when this Airflow version already did it."""
    full_env = dict(env) if env is not None else airflow_env(settings)
    home = Path(full_env["AIRFLOW_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    stamp = home / AIRFLOW_VERSION_STAMP
    version = _airflow_version()
    marker = f"{version} {full_env['AIRFLOW__DATABASE__SQL_ALCHEMY_CONN']}"
    if stamp.exists() and stamp.read_text().strip() == marker:
        return
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("airflow")), "db", "migrate"],
        env=full_env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise AirflowSetupError(f"airflow db migrate failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    stamp.write_text(marker + "\n")


def _airflow_version() -> str:
    from importlib.metadata import version

    return version("apache-airflow-core")


def run_dag_once(settings: Settings, dag_id: str) -> dict[str, Any]:
    """Run one DAG end to end in this process with ``dag.test()``; return its state and results.

    The result maps each task id to its XCom return values (one per map index), which is where
    the load tasks put their per-table figures.
    """
    configure_process(settings)
    migrate_metadata_db(settings)
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(project_root() / "dags"))
    if dag_id not in bag.dags:
        raise AirflowSetupError(f"DAG {dag_id!r} not found; import errors: {bag.import_errors}")
    dag_run = bag.dags[dag_id].test()
    return {
        "dag_id": dag_id,
        "run_id": dag_run.run_id,
        "state": str(dag_run.state),
        **_run_outcome(dag_id, dag_run.run_id),
    }


def _run_outcome(dag_id: str, run_id: str) -> dict[str, Any]:
    """Per task: XCom return values and UI labels (rendered map index), keyed by map index."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    results: dict[str, dict[int, Any]] = {}
    labels: dict[str, dict[int, str | None]] = {}
    states: dict[str, dict[int, str | None]] = {}
    with create_session() as session:
        xcoms: list[Any] = list(
            session.scalars(XComModel.get_many(run_id=run_id, dag_ids=dag_id, key="return_value"))
        )
        for row in xcoms:
            results.setdefault(row.task_id, {})[row.map_index] = XComModel.deserialize_value(row)
        query = select(TaskInstance).where(TaskInstance.dag_id == dag_id, TaskInstance.run_id == run_id)
        for ti in session.scalars(query):
            labels.setdefault(ti.task_id, {})[ti.map_index] = ti.rendered_map_index
            states.setdefault(ti.task_id, {})[ti.map_index] = str(ti.state) if ti.state else None
    return {"results": results, "labels": labels, "task_states": states}
