"""The README's collector example (curl), run as written against a live ``eventyard collector``."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import orjson
import pytest

from tests.collector.api.conftest import WK
from tests.collector.sdk.conftest import LiveCollector

README = Path(__file__).resolve().parents[3] / "README.md"


def readme_block() -> str:
    section = README.read_text().split("## Collector\n")[1].split("\n## ")[0]
    match = re.search(r"```bash\n(.*?)```", section, re.S)
    assert match, "the README's Collector section has no bash block"
    return match.group(1)


@pytest.mark.slow
def test_readme_collector_example_runs_as_written(live_collector: LiveCollector) -> None:
    assert shutil.which("curl"), "curl is needed to run the README example"
    script = readme_block().replace("http://127.0.0.1:8080", live_collector.url)
    expected = re.search(r"^# (\{.*\})$", script, re.M)
    assert expected, "the example shows its expected answer as a comment"
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        env={**os.environ, "WRITE_KEY": WK},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert orjson.loads(result.stdout) == orjson.loads(expected.group(1))
    landed = live_collector.landed_message_ids()
    assert sum(landed.values()) == 1
