"""docker-compose.yaml checked against the code (there is no Docker engine on the test machines).

Every service's command exists in our CLI or Airflow's (Airflow parses each one with the compose
file's executor), every ``EVENTYARD_*`` variable is a setting Settings reads, ports and URLs
agree between services, nobody is admin-for-all, the example secrets are refused, long-running
services have healthchecks and restart policies, one-shot services run before what needs them,
and images are pinned.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import typer.main
import yaml
from pydantic import ValidationError

from eventyard.airflow_support import airflow_env
from eventyard.cli import app
from eventyard.settings import Settings

REPO = Path(__file__).resolve().parents[2]
VARIABLE = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?:(?P<op>:-|:\?)(?P<arg>[^}]*))?\}")


def _dotenv(path: Path) -> dict[str, str]:
    pairs = (
        line.split("=", 1) for line in path.read_text().splitlines() if line and not line.startswith("#")
    )
    return {k: v for k, v in pairs}


EXAMPLE = _dotenv(REPO / ".env.example")


def _interpolate(value: str, variables: dict[str, str], used: set[str]) -> str:
    """Compose's ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?error}`` (``$$`` is a literal ``$``)."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        used.add(name)
        if name in variables:
            return variables[name]
        assert op == ":-", f"${{{name}}} has no default and is not in .env.example"
        return arg

    return VARIABLE.sub(one, value.replace("$$", "\0")).replace("\0", "$")


def _walk(node: Any, variables: dict[str, str], used: set[str]) -> Any:
    if isinstance(node, dict):
        return {k: _walk(v, variables, used) for k, v in node.items()}
    if isinstance(node, list):
        return [_walk(v, variables, used) for v in node]
    return _interpolate(node, variables, used) if isinstance(node, str) else node


def load_compose(variables: dict[str, str]) -> tuple[dict[str, Any], set[str]]:
    """The compose file as Docker sees it with ``variables`` as its .env (anchors merged)."""
    used: set[str] = set()
    raw = yaml.safe_load((REPO / "docker-compose.yaml").read_text())
    return _walk(raw, variables, used), used


REAL = {k: (f"real-{k.lower()}-" + "x" * 40 if v.startswith("change-me") else v) for k, v in EXAMPLE.items()}
COMPOSE, USED = load_compose(REAL)
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
IMAGE = REAL["EVENTYARD_IMAGE"]
OURS = {name: s for name, s in SERVICES.items() if s.get("image") == IMAGE}
ONE_SHOT = {name for name, s in SERVICES.items() if s.get("restart") == "no"}
LONG_RUNNING = set(SERVICES) - ONE_SHOT


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    return {k: str(v) for k, v in env.items()}


def _published(service: dict[str, Any]) -> dict[int, int]:
    """container port -> host port."""
    out = {}
    for spec in service.get("ports", []):
        *_, host, container = spec.split(":")
        out[int(container)] = int(host)
    return out


def _option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_every_variable_is_in_the_example_or_has_a_default_and_the_example_has_no_stray_ones() -> None:
    assert set(EXAMPLE) <= USED, f".env.example sets what compose never reads: {set(EXAMPLE) - USED}"


def test_every_eventyard_command_exists_in_our_cli() -> None:
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    for name, service in OURS.items():
        argv = service["command"]
        assert argv[0] == "eventyard" and (argv[1] in commands or argv[1:] == ["--help"]), f"{name}: {argv}"
        check = service.get("healthcheck", {}).get("test", [])
        if check[:2] == ["CMD", "eventyard"]:
            assert check[2] in commands, f"{name} healthcheck: {check}"


def test_every_airflow_command_parses_in_airflows_cli_with_the_compose_executor(tmp_path: Path) -> None:
    """``eventyard airflow-exec <args>`` and healthchecks run Airflow's CLI: its parser must accept them."""
    argvs: list[list[str]] = []
    for service in OURS.values():
        if service["command"][1] == "airflow-exec":
            argvs.append(service["command"][2:])
        test = service.get("healthcheck", {}).get("test", [])
        if test and test[0] == "CMD-SHELL" and "airflow-exec" in test[1]:
            argvs.append(test[1].split("airflow-exec", 1)[1].replace('"$${HOSTNAME}"', "h").split())
    assert {a[0] for a in argvs} >= {
        "api-server",
        "scheduler",
        "dag-processor",
        "triggerer",
        "celery",
        "jobs",
    }
    env = {k: v for k, v in _env(OURS["airflow-worker"]).items() if k.startswith("AIRFLOW__CORE__EXECUTOR")}
    script = (
        "import json, sys\n"
        "from airflow.cli.cli_parser import get_parser\n"
        "for argv in json.loads(sys.argv[1]):\n"
        "    get_parser().parse_args(argv)\n"
        "import airflow.providers.celery.executors.celery_executor as m; assert m.app\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, json.dumps(argvs)],
        env={
            "PATH": str(Path(sys.executable).parent),
            **env,
            "AIRFLOW_HOME": str(tmp_path / "airflow"),  # not the checkout's .eventyard (make demo)
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    worker_check = OURS["airflow-worker"]["healthcheck"]["test"][1]
    assert worker_check.startswith("celery --app airflow.providers.celery.executors.celery_executor.app ")
    assert Path(sys.executable).with_name("celery").exists(), "the worker healthcheck's celery command"


def test_every_eventyard_variable_is_one_settings_reads() -> None:
    fields = {f"EVENTYARD_{name.upper()}" for name in Settings.model_fields}
    for name, service in OURS.items():
        if name == "eventyard-image":
            continue  # builds the image; runs nothing
        unknown = {k for k in _env(service) if k.startswith("EVENTYARD_")} - fields
        assert not unknown, f"{name} sets variables Settings never reads: {unknown}"
        assert _env(service)["EVENTYARD_ENVIRONMENT"] == "production", name


def test_the_example_secrets_are_refused_and_real_ones_accepted() -> None:
    placeholder_compose, _ = load_compose(EXAMPLE)
    env = _env(placeholder_compose["services"]["houston"])
    with pytest.raises(ValidationError, match="EVENTYARD_SECRET_KEY"):
        _settings(env)
    assert _settings(_env(OURS["houston"])).environment == "production"


def _settings(env: dict[str, str]) -> Settings:
    values = {k.removeprefix("EVENTYARD_").lower(): v for k, v in env.items() if k.startswith("EVENTYARD_")}
    return Settings(**values)


def test_nobody_is_admin_for_all_and_airflow_asks_for_a_login(tmp_path: Path) -> None:
    for name, service in SERVICES.items():
        assert "SIMPLE_AUTH_MANAGER_ALL_ADMINS" not in json.dumps(service.get("environment", {})), name
    env = _env(OURS["airflow-apiserver"])
    settings = _settings(env).model_copy(update={"home": tmp_path})
    effective = airflow_env(settings, env)
    assert effective["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"] == "False"
    assert effective["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] == "admin:admin"


def test_ports_and_urls_agree() -> None:
    houston, collectors = OURS["houston"], [OURS["collector-1"], OURS["collector-2"]]
    api = OURS["airflow-apiserver"]
    env = _env(api)
    # Each server listens on the container port its mapping publishes and its healthcheck calls.
    for service in (houston, *collectors):
        port = int(_option(service["command"], "--port"))
        assert port in _published(service)
        assert urlsplit(service["healthcheck"]["test"][-1]).port == port
    api_port = int(env["AIRFLOW__API__PORT"])
    assert api_port in _published(api) and urlsplit(api["healthcheck"]["test"][-1]).port == api_port
    execution = urlsplit(env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"])
    assert (execution.hostname, execution.port, execution.path) == (
        "airflow-apiserver",
        api_port,
        "/execution/",
    )
    # Public URLs name the host ports the mappings publish.
    assert urlsplit(env["EVENTYARD_PUBLIC_URL"]).port == _published(houston)[8000]
    assert urlsplit(env["EVENTYARD_COLLECTOR_PUBLIC_URL"]).port == _published(collectors[0])[8080]
    assert urlsplit(env["AIRFLOW__API__BASE_URL"]).port == _published(api)[api_port]
    # Internal URLs name services of this file on their ports.
    assert urlsplit(env["EVENTYARD_S3_ENDPOINT_URL"]).hostname == "minio"
    assert urlsplit(env["AIRFLOW__CELERY__BROKER_URL"]).hostname == "redis"
    # Bare `celery`/`airflow` commands (the worker's healthcheck) get no airflow-exec defaults:
    # the async URL must use psycopg too, or Airflow reaches for asyncpg, which the image lacks.
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"] == env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    for key in (
        "EVENTYARD_DATABASE_URL",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
        "AIRFLOW__CELERY__RESULT_BACKEND",
    ):
        url = urlsplit(env[key])
        assert (url.hostname, url.port) == ("postgres", 5432), key
        assert url.password == REAL["POSTGRES_PASSWORD"], key
    assert (
        env["EVENTYARD_SMTP_HOST"] in SERVICES and env["AWS_SECRET_ACCESS_KEY"] == REAL["MINIO_ROOT_PASSWORD"]
    )
    landing_bucket = urlsplit(env["EVENTYARD_LANDING_URL"]).hostname
    assert f"local/{landing_bucket}" in SERVICES["minio-init"]["entrypoint"]
    scheduler_check = urlsplit(OURS["airflow-scheduler"]["healthcheck"]["test"][-1])
    assert scheduler_check.port == 8974 and env["AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"] == "true"


def test_long_running_services_have_healthchecks_and_restart_policies() -> None:
    assert {"airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"} <= set(
        OURS
    )
    assert {"airflow-worker", "houston", "collector-1", "collector-2", "redis", "postgres", "minio"} <= set(
        SERVICES
    )
    for name in LONG_RUNNING - {"eventyard-image"}:
        service = SERVICES[name]
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        assert service.get("restart") == "unless-stopped", f"{name} has no restart policy"
    # One-shot init services run to completion before the services that need them.
    needed = {
        dep
        for s in SERVICES.values()
        for dep, cond in (s.get("depends_on") or {}).items()
        if cond["condition"] == "service_completed_successfully"
    }
    assert {"eventyard-init", "airflow-init", "postgres-init", "minio-init"} <= needed <= ONE_SHOT


def test_one_image_built_once_and_every_image_pinned() -> None:
    builders = [name for name, s in SERVICES.items() if "build" in s]
    assert builders == ["eventyard-image"], "the image is built by one service, the others run its tag"
    assert all(s.get("pull_policy") == "never" for s in OURS.values())
    for name, service in SERVICES.items():
        if name in OURS:
            continue  # our own image, built from this tree
        repo, _, tag = service["image"].rpartition(":")
        assert repo and tag and tag != "latest" and any(c.isdigit() for c in tag), (
            f"{name}: {service['image']}"
        )


def test_each_collector_has_its_own_spool_volume() -> None:
    spools = [v.split(":")[0] for s in (OURS["collector-1"], OURS["collector-2"]) for v in s["volumes"]]
    assert len(set(spools)) == 2 and set(spools) <= set(COMPOSE["volumes"])
    assert all(v.endswith(":/var/lib/eventyard/spool") for s in (OURS["collector-1"],) for v in s["volumes"])
    # Nothing keeps state in an anonymous volume; mail goes to the SMTP catcher, not an outbox.
    assert _env(OURS["houston"])["EVENTYARD_SMTP_HOST"] == "mailpit"


def test_the_dockerfile_is_multi_stage_non_root_and_installs_runtime_pins_only() -> None:
    text = (REPO / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)", text, flags=re.M)
    assert len(stages) >= 3 and all(":" in s and not s.endswith(":latest") for s in stages)
    final = text.split("\nFROM ")[-1]
    assert re.search(r"^USER eventyard$", final, flags=re.M) and "useradd" in final
    assert "requirements.txt" in text and "requirements-dev.txt" not in text
    # The intake's compiler (mypy, gcc) stays in the wheel stage's own build venv.
    wheel_stage = next(stage for stage in text.split("\nFROM ") if " AS wheel" in stage.splitlines()[0])
    assert "requirements-build.txt" in wheel_stage and "requirements-build.txt" not in final
    assert "COPY --from=wheel /opt/eventyard /opt/eventyard" in final and "/opt/build" not in final
    assert "npm" not in final, "no Node.js toolchain in the runtime stage"


def test_a_lost_worker_s_tasks_are_found_and_sent_again(tmp_path: Path) -> None:
    """docs/deploy.md, "When a worker is lost": what the scheduler and the workers run with."""
    for name in ("airflow-scheduler", "airflow-worker"):
        env = _env(OURS[name])
        effective = airflow_env(_settings(env).model_copy(update={"home": tmp_path}), env)
        assert effective["AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER"] == "1", name
        assert effective["AIRFLOW__CELERY__TASK_ACKS_LATE"] == "True", name
        # Longer than the longest task (a load's execution_timeout: 30 minutes).
        assert int(effective["AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT"]) > 1800, name
        assert float(effective["AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT"]) <= 120, name
