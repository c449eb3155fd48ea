"""``eventyard bench collector --intake``: the bench's collector runs the chosen intake.

Like ``--spool-fsync``: the bench starts its collector without the caller's EVENTYARD_* variables,
so ``EVENTYARD_PURE_PYTHON=1`` around the command would not reach it; the option is the way to
compare the compiled intake with its sources in one run.
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


def _maps_the_compiled_intake(pid: int) -> bool:
    """Whether a process has loaded the compiled ``intake`` module (a shared object)."""
    return "/eventyard/collector/intake." in Path(f"/proc/{pid}/maps").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("intake", ["mypyc", "python"])
def test_the_bench_runs_its_collector_with_the_chosen_intake(
    intake: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}

    def requests_instead_of_a_window(app_name: str, server: harness.Server, *_args: Any) -> None:
        if app_name != "collector":
            return
        with httpx.Client(base_url=server.url, auth=(_args[2], ""), timeout=10) as client:
            for _ in range(4):
                assert client.post("/v1/batch", content=harness.batch_body()).status_code == 200
        seen["compiled"] = [_maps_the_compiled_intake(pid) for pid in server.workers]

    monkeypatch.setattr(harness, "_open_loop", requests_instead_of_a_window)
    monkeypatch.setattr(harness.openloop, "build", lambda directory: directory / "generator")
    config = harness.BenchConfig(open_loop_only=True, open_loop_rate=10, open_loop_seconds=1, intake=intake)
    report = harness.run_bench(config, progress=lambda _message: None)
    assert seen["compiled"] == [intake == "mypyc"] * len(seen["compiled"]), seen
    assert report.as_dict()["intake"] == intake


def test_the_cli_refuses_an_unknown_intake() -> None:
    argv = ["bench", "collector", "--open-loop-only", "--rate", "10", "--intake", "cython"]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 2
    assert "--intake must be one of: mypyc, python" in result.output


def test_the_cli_refuses_mypyc_where_the_intake_is_not_compiled(monkeypatch: pytest.MonkeyPatch) -> None:
    from eventyard.collector import compiled

    monkeypatch.setattr(compiled, "implementation", lambda: "python")
    result = CliRunner().invoke(app, ["bench", "collector", "--open-loop-only", "--rate", "10"])
    assert result.exit_code == 2
    assert "runs the intake as Python" in result.output and "--intake python" in result.output


def test_the_report_names_the_intake() -> None:
    report = harness.BenchReport(intake="python")
    assert orjson.loads(orjson.dumps(report.as_dict()))["intake"] == "python"
