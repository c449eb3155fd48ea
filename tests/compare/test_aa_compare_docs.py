"""Every ``eventyard`` command in docs/aa-compare.md, run as written with the installed console script.

The ``airflow dags trigger`` command of the same page is run by
tests/dags/test_compare_scheduler_e2e.py against the real scheduler (``doc_commands("airflow")``).
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from eventyard.settings import Settings
from tests.compare.aa_fixture import duckdb_integration

DOC = Path(__file__).resolve().parents[2] / "docs" / "aa-compare.md"


def doc_commands(program: str) -> list[str]:
    """The ``$ <program> ...`` lines of the page's console blocks."""
    blocks = re.findall(r"```console\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)
    return [line[2:] for block in blocks for line in block.splitlines() if line.startswith(f"$ {program} ")]


def test_the_page_has_the_commands_it_describes() -> None:
    flags = {
        flag
        for command in doc_commands("eventyard")
        for flag in shlex.split(command)
        if flag.startswith("--")
    }
    assert {"--html", "--json", "--max-count-diff", "--min-hour-rows"} <= flags
    assert len(doc_commands("airflow")) == 1


def test_every_eventyard_command_of_the_page_runs(sqlite_settings: Settings, tmp_path: Path) -> None:
    integration = duckdb_integration(sqlite_settings, tmp_path / "warehouse.duckdb")
    eventyard = str(Path(sys.executable).with_name("eventyard"))
    commands = doc_commands("eventyard")
    assert len(commands) == 4
    for command in commands:
        argv = shlex.split(command.replace("$INTEGRATION", integration))
        proc = subprocess.run(
            [eventyard, *argv[1:]], cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
        lenient = "--max-count-diff" in argv
        assert proc.returncode == (0 if lenient else 1), proc.stderr
        if "--json" in argv:
            assert json.loads(proc.stdout)["ok"] is False
        elif "--html" in argv:
            assert "<svg" in (tmp_path / "aa-report.html").read_text(encoding="utf-8")
        elif not lenient:
            # The page shows this command's output: its flagged lines are the real ones.
            shown = DOC.read_text(encoding="utf-8")
            for line in proc.stdout.splitlines():
                assert line in shown, line
        else:
            assert "8 tables match" in proc.stdout


@pytest.mark.parametrize("program", ["eventyard", "airflow"])
def test_commands_name_the_integration_by_placeholder(program: str) -> None:
    assert all("$INTEGRATION" in command for command in doc_commands(program))
