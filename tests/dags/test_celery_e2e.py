"""The production shape for real: Airflow's CeleryExecutor with two workers, Postgres, Redis, S3.

Every process is started the way docker-compose.yaml starts it (``eventyard airflow-exec ...``,
``eventyard collector``, ``eventyard houston``) with ``EVENTYARD_ENVIRONMENT=production``, each
Airflow process in its own state directory as if in its own container: the API server, the
scheduler, the DAG processor, the triggerer and two ``airflow celery worker`` processes on a
dedicated Redis database and key prefix; Airflow's metadata and Eventyard's control DB in
fresh Postgres databases; landing on a moto S3 server; two collectors with their own spools.

Three warehouses and two webhooks make the mapped ``load`` and ``deliver`` tasks; the test shows
they ran on both workers. Then a fourth warehouse is enabled whose schema is held by an open
transaction, so its load blocks in the middle of a run; the test kills the worker running it
(SIGKILL to its whole process tree, as a lost container), Airflow's heartbeat timeout fails the
task instance, the retry runs on the surviving worker, and every warehouse holds each event
exactly once. A step that times out prints what Airflow's metadata DB, the processes and their
logs say (``_diagnosis``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import boto3
import httpx
import psutil
import pytest
import redis
from segment.analytics import Client
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from eventyard.runtime.local_stack import Houston, free_port
from eventyard.runtime.supervisor import Service, Supervisor
from tests.conftest import _fresh_pg_database
from tests.destinations.contracts import WEBHOOK_SECRET, WEBHOOK_TOKEN, webhook_contract, webhook_keys
from tests.destinations.receivers import running

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.xdist_group("celery_e2e")]

T = TypeVar("T")
START_TIMEOUT = 300.0
STEP_TIMEOUT = 420.0  # a killed worker's task is found lost (30 s heartbeat) and retried; slow under load
SECRET = "celery-e2e-secret-" + "s" * 40
ADMIN_PASSWORD = "celery-e2e-admin-" + "p" * 20
REDIS_DB = 11  # a database number of its own; keys carry a per-run prefix and are deleted afterwards
WORKERS = ("worker-a", "worker-b")
WAREHOUSES = ("wa", "wb", "wc", "held")
EVENTS = 40
MAPPED = {"task_id=load", "task_id=deliver"}


@dataclass
class Deployment:
    """The running processes and where to reach and inspect them."""

    supervisor: Supervisor
    root: Path
    env: dict[str, str]
    api_url: str
    collectors: list[str]
    houston_url: str
    metadata: Engine
    log_path: Path
    killed: set[str] = field(default_factory=set)

    def log_tail(self, lines: int = 150) -> str:
        """The last lines of every process's merged output."""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def worker_logs(self, worker: str) -> Path:
        """Where this worker's task logs are (its own AIRFLOW_HOME, as in its own container)."""
        return self.root / worker / "airflow" / "logs"

    def eventyard(self, *args: str) -> str:
        """Run an ``eventyard`` command with the deployment's environment; its stdout."""
        import subprocess

        argv = [str(Path(sys.executable).with_name("eventyard")), *args]
        env = {**self.env, "EVENTYARD_HOME": str(self.root / "cli")}
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300, check=False)
        assert proc.returncode == 0, f"eventyard {args[0]} failed:\n{proc.stdout}\n{proc.stderr}"
        return proc.stdout


def _service(name: str, argv: list[str], env: dict[str, str], root: Path, **kw: Any) -> Service:
    """One process in its own state directory (one container of the compose file)."""
    home = root / name
    home.mkdir(parents=True, exist_ok=True)
    return Service(name=name, argv=argv, env={**env, "EVENTYARD_HOME": str(home)}, **kw)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory, pg_server_url: str) -> Iterator[Deployment]:
    """The whole distributed stack on loopback; torn down (and its Redis keys deleted) afterwards."""
    root = tmp_path_factory.mktemp("celery")
    control, metadata_url = _fresh_pg_database(pg_server_url), _fresh_pg_database(pg_server_url)
    metadata_url = make_url(metadata_url).set(drivername="postgresql+psycopg").render_as_string(False)
    prefix = f"eyt-celery-{uuid.uuid4().hex[:10]}:"
    from moto.server import ThreadedMotoServer

    moto_port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    moto.start()
    s3 = f"http://127.0.0.1:{moto_port}"
    aws = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    boto3.client("s3", endpoint_url=s3, **_boto(aws)).create_bucket(Bucket="landing")

    api_port, houston_port, health_port = free_port(), free_port(), free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "EVENTYARD_", "AWS_"))}
    env = {
        **base,
        **aws,
        "EVENTYARD_ENVIRONMENT": "production",
        "EVENTYARD_SECRET_KEY": SECRET,
        "EVENTYARD_AIRFLOW_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "EVENTYARD_DATABASE_URL": control,
        "EVENTYARD_LANDING_URL": "s3://landing/events",
        "EVENTYARD_S3_ENDPOINT_URL": s3,
        "EVENTYARD_FLUSH_INTERVAL_SECONDS": "1",
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url,
        "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
        "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + metadata_url,
        "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__GLOBAL_KEYPREFIX": prefix,
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
        "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "1",
        # A lost worker is noticed after 30 s without a heartbeat (Airflow's default: 5 minutes);
        # long enough that a healthy task on a loaded 2-core machine is never taken for lost.
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "30",
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "True",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(health_port),
    }
    log_path = root / "deployment.log"
    log = log_path.open("a")
    deployment_env = dict(env)
    supervisor: Supervisor | None = None
    try:
        metadata = create_engine(metadata_url)
        probe = Deployment(Supervisor([]), root, deployment_env, "", [], "", metadata, log_path)
        probe.eventyard("init")
        probe.eventyard("airflow-init")

        exe = str(Path(sys.executable).with_name("eventyard"))
        api = f"http://127.0.0.1:{api_port}"
        collector_ports = [free_port(), free_port()]
        services = [
            _service(
                "api-server",
                [exe, "airflow-exec", "api-server"],
                env,
                root,
                url=api,
                ready_url=f"{api}/api/v2/monitor/health",
            ),
            *(
                _service(f"collector-{i}", _collector(exe, port), env, root, ready_url=_url(port, "/readyz"))
                for i, port in enumerate(collector_ports, 1)
            ),
            _service("houston", [exe, "houston", "--port", str(houston_port)], env, root),
            _service(
                "scheduler",
                [exe, "airflow-exec", "scheduler", "--skip-serve-logs"],
                env,
                root,
                after="api-server",
            ),
            _service("dag-processor", [exe, "airflow-exec", "dag-processor"], env, root, after="api-server"),
            _service(
                "triggerer",
                [exe, "airflow-exec", "triggerer", "--skip-serve-logs"],
                env,
                root,
                after="api-server",
            ),
            *(
                _service(
                    worker,
                    [
                        *(exe, "airflow-exec", "celery", "worker", "--celery-hostname", f"{worker}@%h"),
                        *("--concurrency", "2", "--skip-serve-logs", "--without-mingle", "--without-gossip"),
                    ],
                    env,
                    root,
                    after="api-server",
                )
                for worker in WORKERS
            ),
        ]
        supervisor = Supervisor(services, out=log, color=False)
        supervisor.start(ready_timeout=START_TIMEOUT)
        deployment = Deployment(
            supervisor,
            root,
            deployment_env,
            api,
            [_url(p, "") for p in collector_ports],
            _url(houston_port, "/graphql"),
            metadata,
            log_path,
        )
        _wait_for(
            "collectors, Houston and the scheduler's health",
            _all_healthy(deployment, health_port),
            deployment,
        )
        yield deployment
    finally:
        if supervisor is not None:
            supervisor.stop()
        log.close()
        moto.stop()
        _delete_redis_keys(prefix)


def _boto(aws: dict[str, str]) -> dict[str, str]:
    return {
        "aws_access_key_id": aws["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": aws["AWS_SECRET_ACCESS_KEY"],
        "region_name": aws["AWS_DEFAULT_REGION"],
    }


def _url(port: int, path: str) -> str:
    return f"http://127.0.0.1:{port}{path}"


def _collector(exe: str, port: int) -> list[str]:
    return [exe, "collector", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]


def _all_healthy(deployment: Deployment, health_port: int) -> Callable[[], bool | None]:
    """Every long-running HTTP service answers the healthcheck the compose file runs."""
    urls = [f"{c}/readyz" for c in deployment.collectors]
    urls += [deployment.houston_url.replace("/graphql", "/healthz"), _url(health_port, "/health")]

    def probe() -> bool | None:
        for url in urls:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url, timeout=2).status_code == 200:
                    continue
            return None
        return True

    return probe


def _delete_redis_keys(prefix: str) -> None:
    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def _wait_for(
    what: str, probe: Callable[[], T | None], deployment: Deployment, timeout: float = STEP_TIMEOUT
) -> T:
    started = time.monotonic()
    deadline = started + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value is not None:
            print(f"[celery-e2e] {what}: {time.monotonic() - started:.0f} s", flush=True)
            return value
        time.sleep(1.0)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{_diagnosis(deployment)}")


def _diagnosis(deployment: Deployment) -> str:
    """What Airflow thinks is going on: runs, task instances and their past tries, notable events,
    the processes still alive, and the tail of every process's output."""
    parts: list[str] = []
    queries = {
        "dag runs": "SELECT dag_id, run_id, state, run_type, queued_at, start_date, end_date FROM dag_run"
        " ORDER BY id",
        "task instances": "SELECT dag_id, task_id, run_id, map_index, state, try_number, hostname,"
        " queued_dttm, start_date, end_date, last_heartbeat_at FROM task_instance"
        " ORDER BY queued_dttm NULLS LAST",
        "task instance history": "SELECT dag_id, task_id, run_id, map_index, state, try_number, hostname,"
        " queued_dttm, start_date, end_date FROM task_instance_history ORDER BY queued_dttm NULLS LAST",
        "events": "SELECT dttm, event, task_id, map_index, try_number, extra FROM log"
        " WHERE event NOT IN ('cli_task_run', 'running', 'success') ORDER BY dttm",
        "asset events": "SELECT timestamp, asset_id, extra FROM asset_event ORDER BY id",
        "asset run queue": "SELECT target_dag_id, asset_id, created_at FROM asset_dag_run_queue",
    }
    for title, query in queries.items():
        try:
            lines = [str(tuple(row)) for row in _rows(deployment.metadata, query)]
        except SQLAlchemyError as exc:  # a diagnosis must not hide the failure it explains
            lines = [f"query failed: {exc}"]
        parts += [f"--- {title} ---", *lines]
    parts += ["--- processes ---", *_process_list(deployment)]
    # The triggerer starts the runs when batches land; its errors are lost in a busy tail.
    log = deployment.log_path.read_text(errors="replace").splitlines()
    notable = [line for line in log if line.startswith("triggerer") and ("error" in line or "Error" in line)]
    parts += ["--- triggerer errors ---", *notable[-40:]]
    parts += ["--- log ---", deployment.log_tail()]
    return "\n".join(parts)


def _process_list(deployment: Deployment) -> list[str]:
    """Every live process of this deployment (its environment names the deployment's root)."""
    found = []
    for proc in psutil.process_iter(["pid", "ppid", "status", "cmdline"]):
        with contextlib.suppress(psutil.Error):
            if proc.environ().get("EVENTYARD_HOME", "").startswith(str(deployment.root)):
                info = proc.info
                command = " ".join(info["cmdline"] or [])[:160]
                found.append(f"{info['pid']} (parent {info['ppid']}, {info['status']}) {command}")
    return found


def _rows(engine: Engine, query: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(query), params).all())


def _warehouse_ids(engine: Engine, schema: str) -> list[str] | None:
    with engine.connect() as conn:
        if conn.execute(text("SELECT to_regclass(:t)"), {"t": f'"{schema}"."tracks"'}).scalar() is None:
            return None
        return list(conn.execute(text(f'SELECT id FROM "{schema}"."tracks"')).scalars())


def _send(collector: str, write_key: str, ids: list[str]) -> None:
    errors: list[object] = []
    client = Client(write_key=write_key, host=collector, on_error=lambda e, b: errors.append(e))
    for i, message_id in enumerate(ids):
        client.track(user_id=f"u{i % 4}", event="Order Completed", properties={"n": i}, message_id=message_id)
    client.flush()
    client.join()
    assert errors == []


def _admin_headers(api_url: str) -> dict[str, str]:
    token = httpx.post(
        f"{api_url}/auth/token", json={"username": "admin", "password": ADMIN_PASSWORD}, timeout=30
    )
    assert token.status_code == 201, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def _trigger(deployment: Deployment, dag_id: str) -> None:
    """A manual run of ``dag_id`` through Airflow's REST API (it waits behind a running one)."""
    reply = httpx.post(
        f"{deployment.api_url}/api/v2/dags/{dag_id}/dagRuns",
        json={"logical_date": None},
        headers=_admin_headers(deployment.api_url),
        timeout=60,
    )
    assert reply.status_code == 200, reply.text


def _kill_container(pid: int) -> None:
    """SIGKILL a worker and every process under it, as when its container is gone.

    The process group alone is not enough: Airflow's supervisor puts each task process in a
    process group of its own, and such a task would live on without its supervisor (no
    heartbeat, nobody to report to) and go on loading next to Airflow's retry. The group is
    stopped first so that no process is forked between listing the tree and killing it.
    """
    os.killpg(pid, signal.SIGSTOP)
    leader = psutil.Process(pid)
    tree = [leader, *leader.children(recursive=True)]
    os.killpg(pid, signal.SIGKILL)
    for proc in tree:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    # The leader is reaped by its Popen (the supervisor); the rest by whoever adopts them, and a
    # zombie not yet reaped runs nothing.
    _, alive = psutil.wait_procs(tree[1:], timeout=30)
    running = [p for p in alive if _status(p) not in (psutil.STATUS_ZOMBIE, None)]
    assert not running, f"still running after SIGKILL: {running}"


def _status(proc: psutil.Process) -> str | None:
    try:
        return str(proc.status())
    except psutil.NoSuchProcess:
        return None


def _task_logs(deployment: Deployment, worker: str) -> list[Path]:
    return sorted(
        deployment.worker_logs(worker).glob("dag_id=*/run_id=*/task_id=*/map_index=*/attempt=*.log")
    )


def _which_worker(deployment: Deployment, run_id: str, map_index: int, attempt: int) -> str | None:
    tail = f"dag_id=load_warehouses/run_id={run_id}/task_id=load/map_index={map_index}/attempt={attempt}.log"
    found = [w for w in WORKERS if (deployment.worker_logs(w) / tail).exists()]
    return found[0] if found else None


def test_airflow_asks_for_a_login_and_takes_the_admin_from_the_environment(deployment: Deployment) -> None:
    assert httpx.get(f"{deployment.api_url}/api/v2/dags", timeout=30).status_code == 401
    bad = httpx.post(
        f"{deployment.api_url}/auth/token", json={"username": "admin", "password": "x"}, timeout=30
    )
    assert bad.status_code == 401
    good = httpx.post(
        f"{deployment.api_url}/auth/token", json={"username": "admin", "password": ADMIN_PASSWORD}, timeout=30
    )
    assert good.status_code == 201, good.text
    headers = {"Authorization": f"Bearer {good.json()['access_token']}"}

    def parsed() -> set[str] | None:
        reply = httpx.get(f"{deployment.api_url}/api/v2/dags", headers=headers, timeout=30)
        dags = {d["dag_id"] for d in reply.json().get("dags", [])} if reply.status_code == 200 else set()
        return dags if {"load_warehouses", "deliver_destinations"} <= dags else None

    _wait_for("the DAGs in Airflow's API", parsed, deployment)


def test_mapped_tasks_spread_over_both_workers_and_a_killed_worker_loses_and_doubles_nothing(
    deployment: Deployment, pg_server_url: str
) -> None:
    made = deployment.eventyard(
        "bootstrap",
        "--email",
        "ops@example.com",
        "--password",
        "correct horse battery",
        "--org",
        "Acme",
        "--source",
        "web",
    )
    import json

    account = json.loads(made.strip().splitlines()[-1])
    houston = Houston(deployment.houston_url, account["token"], account["orgId"])
    source = account["sourceId"]
    warehouse_url = _fresh_pg_database(pg_server_url)
    warehouse = create_engine(warehouse_url.replace("postgresql://", "postgresql+psycopg://", 1))
    target = make_url(warehouse_url)
    details = {
        "host": "127.0.0.1",
        "port": target.port or 5432,
        "database": target.database,
        "user": target.username,
        "password": target.password or "",
        "sslmode": "disable",
    }
    *loaded, held = WAREHOUSES
    for schema in loaded:
        houston.add_integration(source, "postgres", details, {"namespace": schema})
    with (
        running(webhook_contract, keys=webhook_keys) as hook_a,
        running(webhook_contract, keys=webhook_keys) as hook_b,
    ):
        for hook in (hook_a, hook_b):
            config = {"webhookUrl": f"{hook.url}/segment", "sharedSecret": WEBHOOK_SECRET}
            houston.add_integration(
                source, "webhooks", {**config, "headers": {"Authorization": WEBHOOK_TOKEN}}, {}
            )

        sent = [f"celery-{i}" for i in range(EVENTS)]
        _send(deployment.collectors[0], source, sent[: EVENTS // 2])
        _send(deployment.collectors[1], source, sent[EVENTS // 2 :])

        # 1. The batches land (one asset event each, or one for both) and the mapped load and
        #    deliver tasks run on the workers. Nothing blocks yet: a blocked load would hold its
        #    run open, and with max_active_runs=1 a batch that landed after the run's loads had
        #    looked would then wait behind it for ever.
        def others_done() -> bool | None:
            loaded_all = all(set(_warehouse_ids(warehouse, s) or []) >= set(sent) for s in loaded)
            delivered = all(set(h.deliveries) >= set(sent) for h in (hook_a, hook_b))
            return True if loaded_all and delivered else None

        _wait_for("three warehouses loaded and both webhooks delivered", others_done, deployment)

        # The triggerer saw the batches land: a load run started by the landing watcher, not only
        # by the cron safety net (with a triggerer that cannot read its trigger, the loads above
        # happen only when a cron tick falls inside the wait: decision 0039).
        def asset_triggered_run() -> bool | None:
            query = (
                "SELECT count(*) FROM dag_run"
                " WHERE dag_id = 'load_warehouses' AND run_type = 'asset_triggered'"
            )
            return True if _rows(deployment.metadata, query)[0][0] else None

        _wait_for("a load run started by the landing watcher", asset_triggered_run, deployment)

        # 2. A fourth warehouse whose schema is being created by a transaction that stays open:
        #    its load (all the landed batches, as a new integration) blocks on its CREATE SCHEMA
        #    in the middle of a run until the test lets go.
        holder = warehouse.connect()
        holder.execute(text(f'CREATE SCHEMA "{held}"'))
        houston.add_integration(source, "postgres", details, {"namespace": held})
        _trigger(deployment, "load_warehouses")

        def held_load() -> tuple[str, int, int] | None:
            waiting = _rows(
                warehouse,
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND query ILIKE 'CREATE SCHEMA IF NOT EXISTS%'",
            )[0][0]
            # The held load is the only load not finished in a running run: the victim runs
            # nothing else of it. Which run holds it depends on timing: the manual run, or an
            # asset-triggered one that started after the integration was added (the manual run
            # then waits behind it, max_active_runs=1, its tasks not yet created or expanded).
            unfinished = _rows(
                deployment.metadata,
                "SELECT ti.run_id, ti.map_index, ti.try_number, ti.state FROM task_instance ti"
                " JOIN dag_run dr ON dr.dag_id = ti.dag_id AND dr.run_id = ti.run_id"
                " WHERE ti.dag_id = 'load_warehouses' AND ti.task_id = 'load' AND dr.state = 'running'"
                " AND (ti.state IS NULL OR ti.state NOT IN ('success', 'failed', 'skipped', 'removed'))",
            )
            if waiting and len(unfinished) == 1 and unfinished[0][3] == "running":
                return unfinished[0][0], unfinished[0][1], unfinished[0][2]
            return None

        run_id, map_index, attempt = _wait_for("the held load blocked mid-run", held_load, deployment)
        victim = _wait_for(
            "the held load's log in a worker",
            lambda: _which_worker(deployment, run_id, map_index, attempt),
            deployment,
        )
        survivor = next(w for w in WORKERS if w != victim)
        deployment.killed.add(victim)
        _kill_container(deployment.supervisor.pids()[victim])
        holder.rollback()
        holder.close()

        def load_try() -> tuple[str, int]:
            rows = _rows(
                deployment.metadata,
                "SELECT state, try_number FROM task_instance WHERE dag_id = 'load_warehouses'"
                " AND task_id = 'load' AND run_id = :r AND map_index = :m",
                r=run_id,
                m=map_index,
            )
            state, tries = rows[0]
            if state in ("failed", "upstream_failed"):
                pytest.fail(f"the lost load failed for good (try {tries})\n{_diagnosis(deployment)}")
            return state, tries

        def found_lost() -> bool | None:
            state, tries = load_try()
            return True if state == "up_for_retry" or tries > attempt else None

        def retried() -> int | None:
            state, tries = load_try()
            return tries if state == "success" else None

        # 3. No heartbeat: Airflow fails the lost try and retries it, on the only worker left.
        _wait_for("Airflow to find the lost load (no heartbeat)", found_lost, deployment)
        tries = _wait_for("the retry of the lost load on the other worker", retried, deployment)
        assert tries > attempt, f"the rows came from a retry: try {tries}"
        assert _which_worker(deployment, run_id, map_index, tries) == survivor

        for schema in WAREHOUSES:
            ids = _warehouse_ids(warehouse, schema) or []
            assert sorted(ids) == sorted(sent), f"{schema}: every event once, none lost or doubled"
        for hook in (hook_a, hook_b):
            assert set(hook.deliveries) == set(sent) and hook.duplicates() == {} and hook.violations == []

    # The mapped tasks ran on both workers (each worker's task logs are in its own home).
    mapped = {w: [p for p in _task_logs(deployment, w) if p.parts[-3] in MAPPED] for w in WORKERS}
    assert all(mapped.values()), (
        f"mapped load/deliver tasks per worker: { {w: len(p) for w, p in mapped.items()} }"
    )
    warehouse.dispose()
