"""Airflow's idle housekeeping, paced (``eventyard.runtime.airflow_pacing``), and uvicorn's quiet tick.

What they buy is measured by ``eventyard bench freshness`` (docs/airflow.md); here: the pacing
applies to the pinned Airflow's real methods, runs a method at most once per interval, and
``QuietServer`` ticks once a second doing uvicorn's once-a-second work every time, and stops at
once on a signal.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys

import attrs
import pytest
import uvicorn

from eventyard.airflow_support import airflow_env, paces_airflow, project_root
from eventyard.runtime import airflow_pacing, quiet_uvicorn
from eventyard.runtime.stack import Ports, airflow_services, stack_services
from eventyard.settings import Settings


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@attrs.define
class _Job:
    """Slotted and unhashable, like Airflow's TriggerRunnerSupervisor."""

    runs: int = 0

    def housekeeping(self) -> list[int]:
        self.runs += 1
        if self.runs == 2:
            raise RuntimeError("the metadata DB is locked")
        return [self.runs]


def test_a_paced_method_runs_at_most_once_per_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = _Clock()
    monkeypatch.setattr(airflow_pacing.time, "monotonic", clock)
    housekeeping = airflow_pacing.paced(_Job.housekeeping, 10.0, list)
    job, other = _Job(), _Job()
    assert housekeeping(job) == [1]  # the first call always runs
    clock.now += 9.9
    assert housekeeping(job) == [] and job.runs == 1
    assert housekeeping(other) == [1]  # each instance keeps its own cadence
    clock.now += 0.1
    with pytest.raises(RuntimeError):
        housekeeping(job)  # due again: runs, and its failure is not swallowed
    clock.now += 5
    assert housekeeping(job) == [] and job.runs == 2  # a failed run waits the interval too
    clock.now += 5
    assert housekeeping(job) == [3]


def test_pacing_applies_to_the_pinned_airflow(sqlite_settings: Settings) -> None:
    env = airflow_env(sqlite_settings)
    env["PYTHONPATH"] = str(project_root())
    proc = subprocess.run(
        [sys.executable, "-m", "tests.runtime.pacing_script"],
        env=env, capture_output=True, text=True, timeout=240, check=False, cwd=project_root(),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = json.loads(proc.stdout.split("RESULT ", 1)[1])
    assert out["installed"] == {
        "triggerer": [
            "TriggerRunnerSupervisor.load_triggers",
            "TriggerRunnerSupervisor.clean_unused",
            "TriggerRunnerSupervisor.emit_metrics",
        ],
        "dag-processor": [
            "DagFileProcessorManager.claim_priority_files",
            "DagFileProcessorManager.fetch_callbacks",
            "DagFileProcessorManager.purge_inactive_dag_warnings",
        ],
        "api-server": ["uvicorn.Server.main_loop"],
    }
    assert out["again"] == out["installed"]["dag-processor"] and not out["wrapped_twice"]
    assert set(out["wrapped"].values()) == {airflow_pacing.HOUSEKEEPING_SECONDS}
    # Airflow's own fetch_callbacks reads the DB once; the next calls within 10 s return nothing.
    assert out["calls"] == [["callback"], [], []] and out["reads"] == 1
    assert out["uvicorn_server"] == "QuietServer"


def test_a_missing_target_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    gone = airflow_pacing.Paced("eventyard.runtime.quiet_uvicorn", "QuietServer", "renamed_upstream", dict)
    monkeypatch.setitem(airflow_pacing.PACED_BY_COMMAND, "triggerer", (gone,))
    with pytest.raises(airflow_pacing.AirflowPacingError, match="renamed_upstream is gone"):
        airflow_pacing.install("triggerer")


def test_the_laptop_stack_runs_paced_services_production_does_not(sqlite_settings: Settings) -> None:
    assert paces_airflow(sqlite_settings)
    assert not paces_airflow(sqlite_settings.model_copy(update={"airflow_pacing": False}))
    assert not paces_airflow(sqlite_settings.model_copy(update={"environment": "production"}))
    env = airflow_env(sqlite_settings, {}, api_port=18280)
    paced = {s.name: list(s.argv) for s in airflow_services(env, paced=True)}
    for name in ("api-server", "dag-processor", "triggerer"):
        assert paced[name][:3] == [sys.executable, "-m", "eventyard.runtime.airflow_pacing"]
        assert paced[name][3] == name
    assert paced["triggerer"][4:] == ["--skip-serve-logs"]
    assert paced["scheduler"][0].endswith("airflow")
    assert paced["scheduler"][1:] == ["scheduler", "--skip-serve-logs"]
    stock = stack_services(env, Ports(), paced=False)
    assert all(s.argv[0].endswith(("airflow", "eventyard")) for s in stock)


Quiet = tuple[quiet_uvicorn.QuietServer, list[int]]


def _quiet_server(monkeypatch: pytest.MonkeyPatch, tick: float) -> Quiet:
    monkeypatch.setattr(quiet_uvicorn, "TICK_SECONDS", tick)
    server = quiet_uvicorn.QuietServer(uvicorn.Config(app=lambda *a: None, log_level="warning"))
    counters: list[int] = []
    real_on_tick = server.on_tick

    async def on_tick(counter: int) -> bool:
        counters.append(counter)
        if len(counters) == 4:
            server.should_exit = True
        return await real_on_tick(counter)

    monkeypatch.setattr(server, "on_tick", on_tick)
    return server, counters


def test_quiet_server_does_the_once_a_second_work_on_every_tick(monkeypatch: pytest.MonkeyPatch) -> None:
    server, counters = _quiet_server(monkeypatch, 0.01)

    async def run() -> None:
        server.server_state = uvicorn.server.ServerState()
        await asyncio.wait_for(server.main_loop(), 30)

    asyncio.run(run())
    # uvicorn refreshes the Date header when counter % 10 == 0: on every quiet tick.
    assert counters == [0, 10, 20, 30]
    assert any(name == b"date" for name, _ in server.server_state.default_headers)


def test_quiet_server_stops_at_once_on_a_signal(monkeypatch: pytest.MonkeyPatch) -> None:
    server, counters = _quiet_server(monkeypatch, 3600.0)  # a tick would never come in time

    async def run() -> None:
        server.server_state = uvicorn.server.ServerState()
        loop = asyncio.get_running_loop()
        loop.call_later(0.05, server.handle_exit, signal.SIGTERM, None)
        await asyncio.wait_for(server.main_loop(), 30)

    asyncio.run(run())
    assert server.should_exit and counters == [0, 10]
