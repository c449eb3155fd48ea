"""``eventyard bench collector --spool-fsync``: the bench's collector waits for fsyncs the chosen way.

The bench gives its collector a fresh home and drops the caller's EVENTYARD_* variables, so an
``EVENTYARD_SPOOL_FSYNC=aio`` set around the command never reached it: the option is the way.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from eventyard.cli import app
from eventyard.collector.bench import harness

from ..bench_helpers import bench_workers_after


def _uses_aio(pid: int) -> bool:
    """Whether a process has a Linux AIO context: its ring is mapped as ``/[aio]``."""
    return "/[aio]" in Path(f"/proc/{pid}/maps").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["blocking", "aio"])
def test_the_bench_runs_its_collector_with_the_chosen_spool_fsync(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One keep-alive connection: every request reaches the same worker. The first group commit
    # of a segment runs on the I/O thread; the next ones on the loop, AIO's path.
    config = harness.BenchConfig(
        open_loop_only=True, open_loop_rate=10, open_loop_seconds=1, spool_fsync=mode
    )
    aio, report = bench_workers_after(monkeypatch, config, "/v1/t", harness.single_body(), 3, _uses_aio)
    assert any(aio) is (mode == "aio"), aio
    assert report.as_dict()["spool_fsync"] == mode


def test_the_cli_refuses_an_unknown_spool_fsync() -> None:
    argv = ["bench", "collector", "--open-loop-only", "--rate", "10", "--spool-fsync", "sometimes"]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 2
    assert "--spool-fsync must be one of: blocking, aio" in result.output


def test_the_report_names_the_spool_fsync() -> None:
    report = harness.BenchReport(spool_fsync="aio")
    assert orjson.loads(orjson.dumps(report.as_dict()))["spool_fsync"] == "aio"
