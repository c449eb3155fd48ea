"""The processes of a local Eventyard stack, and how to tell they are up.

``airflow_services`` is what ``eventyard airflow`` runs (Airflow's scheduler with the
LocalExecutor, DAG processor, triggerer and API server, each as ``airflow <command>``, the way
``airflow standalone`` starts them); ``stack_services`` adds the collector and Houston for
``eventyard up``. Both take their environment from ``eventyard.airflow_support.airflow_env``,
so the execution API URL, the laptop sizing and the Eventyard state are the same everywhere.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from eventyard.runtime.supervisor import Service, is_ready

# The API server first: the scheduler's first task runners call its execution API at once, and
# on a busy laptop an API server still starting makes them time out.
AIRFLOW_COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
# Every service runs on this machine and writes task logs under AIRFLOW_HOME, where the API
# server reads them: the log-serving side processes (fixed ports 8793/8794) are not needed.
EXTRA_ARGS = {"scheduler": ["--skip-serve-logs"], "triggerer": ["--skip-serve-logs"]}
# The services whose hard-coded idle loops eventyard.runtime.airflow_pacing slows down.
PACED_COMPONENTS = ("api-server", "dag-processor", "triggerer")


@dataclass(frozen=True)
class Ports:
    """Where the stack's HTTP services listen."""

    host: str = "127.0.0.1"
    collector: int = 8080
    houston: int = 8000
    airflow: int = 8280


def _bin(name: str) -> str:
    """A console script of this virtual environment (``airflow``, ``eventyard``)."""
    return str(Path(sys.executable).with_name(name))


def airflow_binary() -> str:
    """Airflow's command line in this virtual environment."""
    return _bin("airflow")


def reachable_host(host: str) -> str:
    """The address a local client uses for a server bound to ``host`` (wildcards -> loopback)."""
    return {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(host, host)


def airflow_argv(component: str, *, paced: bool = False) -> list[str]:
    """The command line of one Airflow service: ``airflow <component>``, or its paced launcher."""
    args = [component, *EXTRA_ARGS.get(component, [])]
    if paced and component in PACED_COMPONENTS:
        return [sys.executable, "-m", "eventyard.runtime.airflow_pacing", *args]
    return [_bin("airflow"), *args]


def airflow_services(env: Mapping[str, str], *, paced: bool = False) -> list[Service]:
    """Airflow's four services, configured by ``env`` (``airflow_env``).

    ``paced``: the triggerer, DAG processor and API server run with their idle housekeeping
    paced (``eventyard.runtime.airflow_pacing``; the laptop defaults, development only).
    """
    base = f"http://{reachable_host(env['AIRFLOW__API__HOST'])}:{env['AIRFLOW__API__PORT']}"
    services = []
    for component in AIRFLOW_COMPONENTS:
        is_api = component == "api-server"
        services.append(
            Service(
                name=component,
                argv=airflow_argv(component, paced=paced),
                env=env,
                url=base if is_api else None,
                ready_url=f"{base}/api/v2/monitor/health" if is_api else None,
                after=None if is_api else "api-server",
            )
        )
    return services


def eventyard_env(env: Mapping[str, str], ports: Ports) -> dict[str, str]:
    """``env`` plus the public URLs of the collector and Houston on these ports (unless set)."""
    out = dict(env)
    host = reachable_host(ports.host)
    out.setdefault("EVENTYARD_PUBLIC_URL", f"http://{host}:{ports.houston}")
    out.setdefault("EVENTYARD_COLLECTOR_PUBLIC_URL", f"http://{host}:{ports.collector}")
    return out


def stack_services(
    env: Mapping[str, str],
    ports: Ports,
    *,
    collector_workers: int = 1,
    paced: bool = False,
    run_dir: Path | None = None,
) -> list[Service]:
    """The collector, Houston and Airflow's services: the whole local stack.

    ``run_dir``: where the collector writes its ready file, so that it counts as ready once
    every worker has started (its ``/readyz`` answers as soon as the first one has).
    """
    host = reachable_host(ports.host)
    ready_file = run_dir / "collector.ready" if run_dir is not None else None
    collector = Service(
        name="collector",
        argv=[
            *(_bin("eventyard"), "collector", "--host", ports.host, "--port", str(ports.collector)),
            *("--workers", str(collector_workers)),
            *(("--ready-file", str(ready_file)) if ready_file is not None else ()),
        ],
        env=env,
        url=f"http://{host}:{ports.collector}",
        ready_url=f"http://{host}:{ports.collector}/readyz",
        ready_file=ready_file,
    )
    houston = Service(
        name="houston",
        argv=[_bin("eventyard"), "houston", "--host", ports.host, "--port", str(ports.houston)],
        env=env,
        url=f"http://{host}:{ports.houston}/graphql",
        ready_url=f"http://{host}:{ports.houston}/healthz",
    )
    return [collector, houston, *airflow_services(env, paced=paced)]


class ReadinessWatch:
    """Polls each service until it is ready (``supervisor.is_ready``), and reports it once (``on_ready``)."""

    def __init__(self, services: list[Service], on_ready: Callable[[Service], None]) -> None:
        self.pending = [s for s in services if s.ready_url or s.ready_file]
        self.on_ready = on_ready

    def __call__(self) -> None:
        """One round of polling (a supervisor tick)."""
        for service in list(self.pending):
            if is_ready(service):
                self.pending.remove(service)
                self.on_ready(service)

    @property
    def done(self) -> bool:
        """Whether every service with a ready URL or file is ready."""
        return not self.pending
