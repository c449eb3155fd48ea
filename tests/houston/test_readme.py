"""The README's Houston example, run as written (curl + jq) against a live ``eventyard houston``."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _readme_block() -> str:
    section = (ROOT / "README.md").read_text().split("## Houston (GraphQL API)")[1].split("\n## ")[0]
    match = re.search(r"```bash\n(.*?)```", section, re.S)
    assert match, "the README's Houston section has no bash block"
    return match.group(1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.slow
def test_readme_houston_example_runs_as_written(tmp_path: Path) -> None:
    # The README's example is a shell session: it needs the same tools a reader would use.
    assert shutil.which("curl") and shutil.which("jq"), "the README example needs curl and jq"
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVENTYARD_")}  # embedded defaults
    port = _free_port()
    env["EVENTYARD_PUBLIC_URL"] = f"http://127.0.0.1:{port}"  # where the emailed links point
    log = (tmp_path / "houston.log").open("w")
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("eventyard")), "houston", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, (
                tmp_path / "houston.log"
            ).read_text()
            time.sleep(0.2)
        script = _readme_block().replace("127.0.0.1:8000", f"127.0.0.1:{port}")
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    assert result.returncode == 0, result.stdout + result.stderr
    outputs, text, decoder = [], result.stdout.strip(), json.JSONDecoder()
    while text:  # curl prints responses back to back, without newlines
        value, end = decoder.raw_decode(text)
        outputs.append(value)
        text = text[end:].strip()
    integration = next(o["data"]["createIntegration"] for o in outputs if "createIntegration" in o["data"])
    assert integration["success"], integration
    final = outputs[-1]["data"]
    assert len(final["applications"][0]["id"]) == 21
    assert final["connections"] == [
        {"name": "My hook", "details": {"webhookUrl": "https://example.com/hook", "sharedSecret": "********"}}
    ]
    assert final["integrations"] == [{"name": "Hook every event", "enabled": True}]
