"""Every command in docs/migration.md's ``bash`` blocks, run as a person runs it: a shell, the
installed ``eventyard``, a warehouse mid-switch (DuckDB; the bench on the test Postgres)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.migration.conftest import Switch

DOC = Path(__file__).parents[2] / "docs" / "migration.md"
# The one substitution: the bench's million rows would take a minute; the command is the same.
SMALLER = {"--rows 1000000": "--rows 2000"}


def doc_commands() -> list[str]:
    """The command lines of the page's bash blocks, in order."""
    blocks = re.findall(r"```bash\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_the_page_has_every_step() -> None:
    commands = doc_commands()
    assert all(c.startswith("eventyard ") for c in commands)
    assert any("--plan --json" in c for c in commands) and any(c.endswith("--run") for c in commands)
    assert any(c.startswith("eventyard bench merge") for c in commands)


@pytest.mark.postgres
@pytest.mark.parametrize("switch", ["duckdb"], indirect=True)
def test_every_command_of_the_migration_page_runs(switch: Switch, pg_server_url: str) -> None:
    env = {**os.environ, "INTEGRATION": switch.integration_id, "EVENTYARD_TEST_PG_URL": pg_server_url}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    outputs = []
    for command in doc_commands():
        for long, short in SMALLER.items():
            command = command.replace(long, short)
        done = subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True, timeout=300,
                              check=False)  # fmt: skip
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        outputs.append((command, done.stdout))
    by_command = dict(outputs)
    plan = next(out for cmd, out in outputs if cmd.endswith("--plan"))
    assert "== order_completed [events]" in plan and "discard" in plan
    plan_json = json.loads(next(out for cmd, out in outputs if cmd.endswith("--plan --json")))
    assert plan_json["cutover"] == "2024-01-01T00:00:00+00:00"
    first_run = next(out for cmd, out in outputs if cmd.endswith("--run"))
    assert "order_completed: Segment 5 = merged 3 + already present 1 + after cutover 1 -> OK" in first_run
    rerun = json.loads(next(out for cmd, out in outputs if cmd.endswith("--run --json")))
    assert rerun["ok"] and all(t["chunks_run"] == 0 for t in rerun["tables"])
    assert len(by_command) == len(doc_commands())
    assert switch.ids("order_completed") == ["e-2", "s1", "s2", "s3", "shared-1"]
