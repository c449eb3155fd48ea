"""What the image does, without Docker: requirements.txt alone in a fresh venv runs the stack.

The venv holds requirements.txt's distributions at their pins (what the Dockerfile's
``pip install -r requirements.txt`` installs) and Eventyard's wheel, nothing else: no pytest,
ruff, mypy, moto or Playwright. From it the test runs the compose
file's commands: ``eventyard init`` and ``airflow-init`` on Postgres with the CeleryExecutor in
production mode, Airflow parsing our DAG files, and the collector, Houston, the API server, the
scheduler and a Celery worker as processes, each answering the healthcheck compose runs. A
runtime import that only the dev requirements provide fails here.

Downloading ~190 packages again would take 5-10 minutes here, so the venv is assembled offline
from the files pip installed into the dev venv (hard links, seconds), cached under
``.venv/runtime/<hash of requirements.txt>``; only the wheel is reinstalled per run.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import uuid
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest
import redis
import yaml
from sqlalchemy.engine import make_url

from eventyard.runtime.local_stack import free_port
from eventyard.runtime.supervisor import Service, Supervisor
from tests.conftest import _fresh_pg_database

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.xdist_group("runtime_venv")]

REPO = Path(__file__).resolve().parents[2]
REQUIREMENTS = REPO / "requirements.txt"
DEV_ONLY = ("pytest", "ruff", "mypy", "moto", "playwright")
REDIS_DB = 12
SECRET = "runtime-venv-secret-" + "r" * 40
PURELIB = "import sysconfig; print(sysconfig.get_path('purelib'))"


def _run(argv: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, **kw)  # type: ignore[call-overload]
    assert proc.returncode == 0, f"{argv}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc  # type: ignore[no-any-return]


def _pins() -> dict[str, str]:
    lines = (line.split("#")[0].strip() for line in REQUIREMENTS.read_text().splitlines())
    return dict(line.split("==", 1) for line in lines if line)  # type: ignore[misc]


def _place(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)  # same disk as the dev venv: instant, and no second copy
    except OSError:
        shutil.copy2(src, dst)


def _assemble(venv: Path) -> None:
    """A fresh venv holding exactly requirements.txt's distributions, at exactly their pins.

    Each distribution's files (its RECORD) come from the ones pip installed into the dev venv,
    offline; console scripts are written for the new interpreter, as pip writes them. A pin the
    dev venv does not have at that version fails here.
    """
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    site = Path(_run([str(venv / "bin" / "python"), "-c", PURELIB]).stdout.strip())
    dev_site = Path(sysconfig.get_path("purelib")).resolve()
    for name, version in {**_pins(), "pip": metadata.version("pip")}.items():
        dist = metadata.distribution(name)
        assert dist.version == version, (
            f"{name}: requirements.txt pins {version}, the dev venv has {dist.version}"
        )
        for file in dist.files or []:
            src = Path(str(dist.locate_file(file))).resolve()
            if src.is_relative_to(dev_site) and src.is_file():
                _place(src, site / src.relative_to(dev_site))
        for entry in dist.entry_points.select(group="console_scripts"):
            script = venv / "bin" / entry.name
            call = f"{entry.module}.{entry.attr}" if entry.attr else entry.module
            script.write_text(
                f"#!{venv / 'bin' / 'python'}\nimport sys, {entry.module}\nsys.exit({call}())\n"
            )
            script.chmod(0o755)


def _runtime_venv() -> Path:
    """The assembled runtime venv, built once per version of requirements.txt."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:16]
    root = REPO / ".venv" / "runtime"
    root.mkdir(parents=True, exist_ok=True)
    venv = root / digest
    with (root / "build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (venv / ".complete").exists():
            shutil.rmtree(venv, ignore_errors=True)  # a build that was interrupted
            _assemble(venv)
            (venv / ".complete").write_text(REQUIREMENTS.read_text())
    return venv


def _compose_worker_check() -> str:
    """The worker's healthcheck command from docker-compose.yaml (``$$`` is compose's ``$``)."""
    compose = yaml.safe_load((REPO / "docker-compose.yaml").read_text())
    test = compose["services"]["airflow-worker"]["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL"
    return str(test[1]).replace("$$", "$")


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cached runtime venv with this tree's wheel installed (built from a copy, offline)."""
    venv = _runtime_venv()
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    ignore = shutil.ignore_patterns(
        ".git", ".venv", ".eventyard", "node_modules", "build", "tests", "*.egg-info", "*.so",
        "_compiled_sources.sha256",
    )  # fmt: skip
    shutil.copytree(REPO, source, ignore=ignore, symlinks=True)
    bundle = Path("node_modules/@segment/analytics-next/dist/umd")
    shutil.copytree(REPO / bundle, source / bundle)
    python = str(venv / "bin" / "python")
    _run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--force-reinstall",
          "--disable-pip-version-check", str(source)], timeout=600)  # fmt: skip
    return venv


@pytest.fixture
def stack_env(venv: Path, pg_server_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Production settings for the venv's processes: Postgres, Redis (own DB and key prefix)."""
    prefix = f"eyt-rtvenv-{uuid.uuid4().hex[:10]}:"
    metadata = make_url(_fresh_pg_database(pg_server_url)).set(drivername="postgresql+psycopg")
    metadata_url = metadata.render_as_string(hide_password=False)
    env = {
        "PATH": f"{venv / 'bin'}{os.pathsep}/usr/bin:/bin",
        "HOME": str(tmp_path),
        "EVENTYARD_HOME": str(tmp_path / "home"),
        "EVENTYARD_ENVIRONMENT": "production",
        "EVENTYARD_SECRET_KEY": SECRET,
        "EVENTYARD_AIRFLOW_ADMIN_PASSWORD": "runtime-venv-admin-" + "a" * 16,
        "EVENTYARD_DATABASE_URL": _fresh_pg_database(pg_server_url),
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": metadata_url,  # as the compose file says it
        "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + metadata_url,
        "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
        "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__GLOBAL_KEYPREFIX": prefix,
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "true",
    }
    yield env
    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    keys = list(client.scan_iter(match=f"{prefix}*", count=500))
    if keys:
        client.delete(*keys)
    client.close()


def test_the_runtime_venv_has_no_dev_packages_and_consistent_pins(venv: Path) -> None:
    listed = json.loads(_run([str(venv / "bin" / "python"), "-m", "pip", "list", "--format", "json"]).stdout)
    installed = {p["name"].lower(): p["version"] for p in listed}
    assert not [name for name in DEV_ONLY if name in installed], "dev packages in the runtime venv"
    _run([str(venv / "bin" / "python"), "-m", "pip", "check"])
    dev_lines = [
        line for name in ("requirements-dev.txt", "requirements-build.txt")
        for line in (REPO / name).read_text().splitlines()
    ]  # fmt: skip
    dev_pins = {line.split("==")[0].lower() for line in dev_lines if "==" in line}
    assert not dev_pins & set(installed) - {"pip", "setuptools"}, "a dev pin is also a runtime package"


def test_the_stacks_commands_run_from_the_runtime_venv(
    venv: Path, stack_env: dict[str, str], tmp_path: Path
) -> None:
    exe = str(venv / "bin" / "eventyard")
    _run([exe, "init"], env=stack_env, cwd=tmp_path, timeout=300)
    init = json.loads(
        _run([exe, "airflow-init"], env=stack_env, cwd=tmp_path, timeout=600).stdout.splitlines()[-1]
    )
    assert init["executor"] == "CeleryExecutor" and init["admin"] == "admin"
    # Airflow parses the DAG files shipped in the wheel with the runtime packages only.
    dags_list = [exe, "airflow-exec", "dags", "list", "--local", "-o", "json"]
    listing = _run(dags_list, env=stack_env, cwd=tmp_path, timeout=300).stdout
    table = next(line for line in reversed(listing.splitlines()) if line.startswith("["))
    dags = {d["dag_id"] for d in json.loads(table)}
    assert {"load_warehouses", "deliver_destinations"} <= dags

    api, collector, houston, health = free_port(), free_port(), free_port(), free_port()
    env = {
        **stack_env,
        "AIRFLOW__API__PORT": str(api),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api}/execution/",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(health),
        "HOSTNAME": socket.gethostname(),  # Docker sets it in every container; the check names it
    }
    services = [
        Service("collector", [exe, "collector", "--port", str(collector)], env),
        Service("houston", [exe, "houston", "--port", str(houston)], env),
        Service("api-server", [exe, "airflow-exec", "api-server"], env),
        Service("scheduler", [exe, "airflow-exec", "scheduler", "--skip-serve-logs"], env),
        Service("worker", [exe, "airflow-exec", "celery", "worker", "-c", "1", "-s"], env),
    ]
    with (tmp_path / "stack.log").open("w") as log:
        supervisor = Supervisor(services, out=log, color=False)
        try:
            supervisor.start()
            checks = [
                [exe, "healthcheck", f"http://127.0.0.1:{collector}/readyz"],
                [exe, "healthcheck", f"http://127.0.0.1:{houston}/healthz"],
                [exe, "healthcheck", f"http://127.0.0.1:{api}/api/v2/monitor/health"],
                [exe, "healthcheck", f"http://127.0.0.1:{health}/health"],
                # The compose file's worker healthcheck, word for word, in a shell as Docker runs it.
                ["sh", "-c", _compose_worker_check()],
            ]
            pending = {" ".join(c): c for c in checks}
            last: dict[str, str] = {}
            deadline = time.monotonic() + 180
            while pending and time.monotonic() < deadline and not supervisor.exited():
                for key, check in list(pending.items()):
                    proc = subprocess.run(check, env=env, capture_output=True, text=True, timeout=120)
                    if proc.returncode == 0:
                        del pending[key]
                    last[key] = (proc.stdout + proc.stderr)[-800:]
                time.sleep(2)
        finally:
            supervisor.stop()
    failures = {key: last.get(key) for key in pending}
    assert not pending, f"unhealthy: {failures}\n{(tmp_path / 'stack.log').read_text()[-3000:]}"
