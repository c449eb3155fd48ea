"""``eventyard bench collector --background-load``: busy processes in a low class beside the app."""

from __future__ import annotations

import os
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

from eventyard.cli import app
from eventyard.collector.bench import harness, tail
from eventyard.collector.bench.background import background_load, describe


def _state(pid: int) -> str:
    """The process state letter from /proc (R running, S sleeping, Z exited, not yet reaped)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def test_idle_load_runs_one_busy_process_each_in_the_idle_class_and_stops_them() -> None:
    with background_load("idle", 2, limit_s=60) as pids:
        assert len(pids) == 2
        for pid in pids:
            assert os.sched_getscheduler(pid) == os.SCHED_IDLE
        time.sleep(0.3)
        assert all(_state(pid) == "R" for pid in pids), "they burn CPU, they do not sleep"
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists(), "stopped and reaped when the window ends"


def test_low_load_runs_at_nice_19_in_the_normal_class() -> None:
    with background_load("low", 1, limit_s=60) as [pid]:
        assert os.sched_getscheduler(pid) == os.SCHED_OTHER
        assert os.getpriority(os.PRIO_PROCESS, pid) == 19


def test_a_load_left_running_stops_by_itself_after_its_limit() -> None:
    with background_load("idle", 1, limit_s=0.5) as [pid]:
        deadline = time.monotonic() + 10
        while _state(pid) != "Z" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _state(pid) == "Z", "exited on its own (the bench reaps it)"


def test_no_load_starts_nothing_and_unknown_kinds_are_refused() -> None:
    with background_load("none", 4, limit_s=1) as pids:
        assert pids == []
    with (
        pytest.raises(ValueError, match="unknown background load 'heavy'"),
        background_load("heavy", 1, limit_s=1),
    ):
        pass
    assert describe("none", 0) == "background load: none"
    assert (
        describe("idle", 2)
        == "background load: 2 CPU-bound process(es) in the idle scheduling class (SCHED_IDLE)"
    )


def test_the_open_loop_window_runs_with_the_load_and_reports_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The harness starts the load before the window, keeps it for the whole window, stops it after."""
    seen: dict[str, Any] = {}

    def fake_window(*_args: Any, **_kwargs: Any) -> dict[str, Any]:
        children = [
            int(p) for p in Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read_text().split()
        ]
        seen["idle"] = [pid for pid in children if os.sched_getscheduler(pid) == os.SCHED_IDLE]
        return {"p99_ms": 1.0}

    monkeypatch.setattr(tail, "run_window", fake_window)
    server = SimpleNamespace(url="http://127.0.0.1:1", proc=SimpleNamespace(pid=1), port=1)
    config = harness.BenchConfig(open_loop_rate=100, open_loop_seconds=1, background_load="idle")
    report = harness.BenchReport()
    env = {"EVENTYARD_HOME": str(tmp_path)}
    harness._open_loop("collector", server, tmp_path / "gen", env, "key", config, report, lambda _m: None)  # type: ignore[arg-type]
    assert len(seen["idle"]) == (os.cpu_count() or 1)
    assert all(not Path(f"/proc/{pid}").exists() for pid in seen["idle"]), "gone after the window"
    assert report.open_loop["collector"]["background_load"].startswith(f"background load: {os.cpu_count()} ")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--background-load", "heavy"], "--background-load must be one of: none, idle, low"),
        (["--background-load", "idle", "--open-loop-seconds", "0"], "needs --open-loop-seconds > 0"),
    ],
)
def test_the_cli_refuses_a_load_it_cannot_run(argv: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["bench", "collector", "--open-loop-only", "--rate", "10", *argv])
    assert result.exit_code == 2
    assert message in result.output
