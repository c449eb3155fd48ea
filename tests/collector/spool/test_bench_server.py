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
