"""``eventyard bench collector --spool-fsync``: the bench's collector waits for fsyncs the chosen way.

The bench gives its collector a fresh home and drops the caller's EVENTYARD_* variables, so an
``EVENTYARD_SPOOL_FSYNC=aio`` set around the command never reached it: the option is the way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from typer.testing import CliRunner

from eventyard.cli import app
from eventyard.collector.bench import harness


def _uses_aio(pid: int) -> bool:
    """Whether a process has a Linux AIO context: its ring is mapped as ``/[aio]``."""
    return "/[aio]" in Path(f"/proc/{pid}/maps").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["blocking", "aio"])
def test_the_bench_runs_its_collector_with_the_chosen_spool_fsync(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}

    def requests_instead_of_a_window(app_name: str, server: harness.Server, *_args: Any) -> None:
        if app_name != "collector":
            return
        write_key = _args[2]
        # One keep-alive connection: every request reaches the same worker. The first group
        # commit of a segment runs on the I/O thread; the next ones on the loop, AIO's path.
        with httpx.Client(base_url=server.url, auth=(write_key, ""), timeout=10) as client:
            for _ in range(3):
                assert client.post("/v1/t", content=harness.single_body()).status_code == 200
        seen["aio"] = [_uses_aio(pid) for pid in server.workers]

    monkeypatch.setattr(harness, "_open_loop", requests_instead_of_a_window)
    monkeypatch.setattr(harness.openloop, "build", lambda directory: directory / "generator")
    config = harness.BenchConfig(
        open_loop_only=True, open_loop_rate=10, open_loop_seconds=1, spool_fsync=mode
    )
    report = harness.run_bench(config, progress=lambda _message: None)
    assert any(seen["aio"]) is (mode == "aio"), seen
    assert report.as_dict()["spool_fsync"] == mode


def test_the_cli_refuses_an_unknown_spool_fsync() -> None:
    argv = ["bench", "collector", "--open-loop-only", "--rate", "10", "--spool-fsync", "sometimes"]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 2
    assert "--spool-fsync must be one of: blocking, aio" in result.output


def test_the_report_names_the_spool_fsync() -> None:
    report = harness.BenchReport(spool_fsync="aio")
    assert orjson.loads(orjson.dumps(report.as_dict()))["spool_fsync"] == "aio"
