"""Start a set of services in the foreground: what ``eventyard up`` and ``eventyard airflow`` do.

Before anything starts, the control DB and Airflow's metadata DB are created or upgraded
(one process each, so the services never race to migrate). Then the supervisor starts the
services, prints each URL when its service answers, and a summary when all do.
"""

from __future__ import annotations

from collections.abc import Sequence

from eventyard.runtime.stack import ReadinessWatch
from eventyard.runtime.supervisor import Service, Supervisor
from eventyard.settings import Settings


def prepare_airflow(settings: Settings, *, api_host: str, api_port: int) -> dict[str, str]:
    """Create/upgrade the control DB and Airflow's metadata DB; return Airflow's environment."""
    from eventyard.airflow_support import airflow_env, migrate_metadata_db
    from eventyard.db.migrate import prepare_control_db

    prepare_control_db(settings)
    env = airflow_env(settings, api_host=api_host, api_port=api_port)
    migrate_metadata_db(settings, env=env)
    return env


def run_foreground(services: Sequence[Service], *, title: str) -> int:
    """Run ``services`` until Ctrl-C/SIGTERM or until one of them exits; return the exit code."""
    supervisor = Supervisor(services)
    supervisor.install_signal_handlers()

    def ready(service: Service) -> None:
        supervisor.emit(service.name, f"ready at {service.url or service.ready_url}")
        if watch.done:
            lines = [f"{title} is up (Ctrl-C stops everything):"]
            lines += [f"  {s.name:<12} {s.url}" for s in services if s.url]
            for line in lines:
                supervisor.emit("eventyard", line)

    watch = ReadinessWatch(list(services), ready)
    supervisor.start()

    def tick() -> None:
        if not watch.done:
            watch()

    return supervisor.wait(on_tick=tick)
