"""Running ``eventyard bench collector``'s real collector with a few requests instead of a window.

The bench starts its collector without the caller's EVENTYARD_* variables, so options such as
``--spool-fsync`` and ``--intake`` are the only way to choose how it runs; these tests look
inside its workers to check that the choice reached them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from eventyard.collector.bench import harness


def bench_workers_after(
    monkeypatch: pytest.MonkeyPatch,
    config: harness.BenchConfig,
    path: str,
    body: bytes,
    requests: int,
    inspect: Callable[[int], Any],
) -> tuple[list[Any], harness.BenchReport]:
    """Run the bench with ``config`` (open loop only), sending ``requests`` POSTs of ``body`` to
    ``path`` over one keep-alive connection where the window would be; ``inspect`` of each
    worker's pid afterwards, and the report."""
    seen: list[Any] = []

    def requests_instead_of_a_window(app_name: str, server: harness.Server, *args: Any) -> None:
        if app_name != "collector":
            return
        write_key = args[2]
        with httpx.Client(base_url=server.url, auth=(write_key, ""), timeout=10) as client:
            for _ in range(requests):
                assert client.post(path, content=body).status_code == 200
        seen.extend(inspect(pid) for pid in server.workers)

    monkeypatch.setattr(harness, "_open_loop", requests_instead_of_a_window)
    monkeypatch.setattr(harness.openloop, "build", lambda directory: directory / "generator")
    report = harness.run_bench(config, progress=lambda _message: None)
    return seen, report
