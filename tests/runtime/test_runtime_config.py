"""How Airflow is configured wherever we start it: execution API URL, laptop sizing, overrides."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from eventyard.airflow_support import airflow_env, execution_api_url, uses_celery
from eventyard.runtime.stack import Ports, airflow_services, eventyard_env, stack_services
from eventyard.settings import Settings


def test_execution_api_url_follows_the_api_server() -> None:
    assert execution_api_url("127.0.0.1", 8280) == "http://127.0.0.1:8280/execution/"
    # A wildcard bind is reached over loopback (the workers run beside the API server).
    assert execution_api_url("0.0.0.0", "8081") == "http://127.0.0.1:8081/execution/"
    assert execution_api_url("::", 9000) == "http://[::1]:9000/execution/"
    assert execution_api_url("airflow.internal", 443) == "http://airflow.internal:443/execution/"


def test_env_sets_the_execution_api_url_from_host_and_port(sqlite_settings: Settings) -> None:
    env = airflow_env(sqlite_settings, {}, api_host="0.0.0.0", api_port=18081)
    assert env["AIRFLOW__API__HOST"] == "0.0.0.0" and env["AIRFLOW__API__PORT"] == "18081"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:18081/execution/"
    default = airflow_env(sqlite_settings, {})
    assert default["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:8280/execution/"


def test_operator_settings_win_over_options_and_defaults(sqlite_settings: Settings) -> None:
    base = {
        "AIRFLOW__API__PORT": "9999",
        "AIRFLOW__CORE__PARALLELISM": "16",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": "http://api.internal:8080/execution/",
    }
    env = airflow_env(sqlite_settings, base, api_host="127.0.0.1", api_port=8280)
    assert env["AIRFLOW__API__PORT"] == "9999" and env["AIRFLOW__CORE__PARALLELISM"] == "16"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://api.internal:8080/execution/"
    # Without an explicit URL, the operator's port is the one the URL follows.
    env = airflow_env(sqlite_settings, {"AIRFLOW__API__PORT": "9999"})
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:9999/execution/"


def test_embedded_defaults_are_sized_for_a_laptop(sqlite_settings: Settings) -> None:
    env = airflow_env(sqlite_settings, {})
    # The LocalExecutor forks `parallelism` workers at start: 4, not Airflow's 32.
    assert int(env["AIRFLOW__CORE__PARALLELISM"]) <= 4
    assert env["AIRFLOW__API__WORKERS"] == "1" and env["AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES"] == "1"
    assert int(env["AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL"]) >= 300


def test_stack_runs_every_airflow_service_with_the_same_env(sqlite_settings: Settings) -> None:
    env = airflow_env(sqlite_settings, {}, api_port=18280)
    ports = Ports(collector=18080, houston=18000, airflow=18280)
    services = stack_services(eventyard_env(env, ports), ports)
    names = [s.name for s in services]
    assert names == ["collector", "houston", "api-server", "scheduler", "dag-processor", "triggerer"]
    # Task runners call the execution API at once: the other Airflow services wait for it.
    assert {s.after for s in services if s.name in {"scheduler", "dag-processor", "triggerer"}} == {
        "api-server"
    }
    assert {s.argv[1] for s in airflow_services(env)} == {
        "scheduler",
        "dag-processor",
        "triggerer",
        "api-server",
    }
    for service in services:
        assert service.env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:18280/execution/"
        assert service.env["EVENTYARD_COLLECTOR_PUBLIC_URL"] == "http://127.0.0.1:18080"
        assert service.env["EVENTYARD_PUBLIC_URL"] == "http://127.0.0.1:18000"


def test_task_instance_debugger_tab_has_a_route_of_its_own(sqlite_settings: Settings) -> None:
    from eventyard.airflow_links import external_views

    # Airflow 3.3's UI lists task-instance views only when they declare a `url_route`.
    tabs = [v for v in external_views(sqlite_settings) if v["destination"] == "task_instance"]
    assert tabs and all(v.get("url_route") for v in tabs)
    routes = [v["url_route"] for v in external_views(sqlite_settings) if v.get("url_route")]
    assert len(routes) == len(set(routes)), "routes must be unique across the UI"


def test_celery_workers_hold_no_backlog_and_a_lost_task_is_retried_within_minutes(
    sqlite_settings: Settings,
) -> None:
    """What Airflow's scheduler and the Celery app actually read from the environment we give."""

    base = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env = airflow_env(sqlite_settings, {**base, "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor"})
    code = (
        "import json\n"
        "from airflow.configuration import conf\n"
        "from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG as c\n"
        "print(json.dumps({'prefetch': c['worker_prefetch_multiplier'], 'acks_late': c['task_acks_late'],"
        " 'visibility': c['broker_transport_options'].get('visibility_timeout'),"
        " 'heartbeat': conf.getfloat('scheduler', 'task_instance_heartbeat_timeout')}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    effective = json.loads(proc.stdout.strip().splitlines()[-1])
    assert effective == {"prefetch": 1, "acks_late": True, "visibility": 86400, "heartbeat": 120.0}
    # The operator's values win; other executors keep Airflow's own defaults.
    mine = {"AIRFLOW__CORE__EXECUTOR": "CeleryExecutor", "AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER": "2"}
    assert airflow_env(sqlite_settings, mine)["AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER"] == "2"
    local = airflow_env(sqlite_settings, {"AIRFLOW__CORE__EXECUTOR": "LocalExecutor"})
    assert not {k for k in local if k.startswith("AIRFLOW__CELERY")}
    assert "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT" not in local


def test_celery_is_recognised_in_every_spelling_of_the_executor() -> None:
    assert uses_celery("CeleryExecutor")
    assert uses_celery("airflow.providers.celery.executors.celery_executor.CeleryExecutor")
    assert uses_celery("LocalExecutor, CeleryExecutor")
    assert uses_celery("celery:airflow.providers.celery.executors.celery_executor.CeleryExecutor")
    assert not uses_celery("LocalExecutor") and not uses_celery("KubernetesExecutor")
