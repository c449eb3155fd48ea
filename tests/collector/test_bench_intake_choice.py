"""``eventyard bench collector --intake``: the bench's collector runs the chosen intake.

Like ``--spool-fsync``: the bench starts its collector without the caller's EVENTYARD_* variables,
so ``EVENTYARD_PURE_PYTHON=1`` around the command would not reach it; the option is the way to
compare the compiled intake with its sources in one run.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from eventyard.cli import app
from eventyard.collector.bench import harness

from .bench_helpers import bench_workers_after


def _maps_the_compiled_intake(pid: int) -> bool:
    """Whether a process has loaded the compiled ``intake`` module (a shared object)."""
    return "/eventyard/collector/intake." in Path(f"/proc/{pid}/maps").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("intake", ["mypyc", "python"])
def test_the_bench_runs_its_collector_with_the_chosen_intake(
    intake: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = harness.BenchConfig(open_loop_only=True, open_loop_rate=10, open_loop_seconds=1, intake=intake)
    compiled, report = bench_workers_after(
        monkeypatch, config, "/v1/batch", harness.batch_body(), 4, _maps_the_compiled_intake
    )
    assert compiled == [intake == "mypyc"] * len(compiled), compiled
    assert report.as_dict()["intake"] == intake


def test_the_cli_refuses_an_unknown_intake() -> None:
    argv = ["bench", "collector", "--open-loop-only", "--rate", "10", "--intake", "cython"]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 2
    assert "--intake must be one of: mypyc, python" in result.output


def test_the_cli_refuses_mypyc_where_the_intake_is_not_compiled(monkeypatch: pytest.MonkeyPatch) -> None:
    from eventyard.collector import compiled

    monkeypatch.setattr(compiled, "implementation", lambda: "python")
    argv = ["bench", "collector", "--open-loop-only", "--rate", "10", "--intake", "mypyc"]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 2
    assert "runs the intake as Python" in result.output and "--intake python" in result.output


def test_the_report_names_the_intake() -> None:
    report = harness.BenchReport(intake="python")
    assert orjson.loads(orjson.dumps(report.as_dict()))["intake"] == "python"
