"""The benchmark's servers run as production does (``runtime/workers.py``) and are measured per worker."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from eventyard.collector.bench import harness, tail


@pytest.mark.slow
def test_the_bench_starts_each_app_through_the_worker_runner_and_waits_for_every_worker(
    tmp_path: Path,
) -> None:
    server = harness.Server(harness.APPS["echo"], dict(os.environ), 2, tmp_path / "echo.log")
    try:
        # Ready means every worker finished its start-up, not just the first to answer.
        assert len(server.workers) == 2
        assert set(tail.worker_cpu(server.proc.pid)) == set(server.workers)
        response = httpx.post(f"{server.url}/v1/t", content=harness.single_body(), timeout=10)
        assert response.status_code == 200
    finally:
        server.stop()
    assert server.proc.returncode == 0


@pytest.mark.slow
def test_the_open_loop_window_reports_flushes_and_which_slow_requests_came_with_them() -> None:
    """The whole ``--open-loop-only`` path as a user runs it: real collector, echo app, generator."""
    import orjson
    from typer.testing import CliRunner

    from eventyard.cli import app

    argv = ["bench", "collector", "--open-loop-only", "--rate", "400", "--open-loop-seconds", "6", "--json"]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.stdout)
    collector, echo = report["open_loop"]["collector"], report["open_loop"]["echo"]
    assert collector["completed"] == pytest.approx(2400, abs=100) and collector["errors"] == 0
    assert collector["flushes_in_window"] >= 1, "a 5 s flush interval inside a 6 s window"
    assert 0 <= collector["slow_near_flushes"] <= collector["slow_requests"]
    assert len(collector["worker_cpu_seconds"]) == 2 and "slow_near_flushes" not in echo
    assert "slow_at_s" not in collector, "the per-request list stays out of the report"
