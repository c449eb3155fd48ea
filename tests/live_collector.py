"""``eventyard collector`` as a real subprocess for the end-to-end tests (SDKs, browsers, delivery).

One place starts it on a free loopback port, waits for ``/readyz`` (failing with its log if it
exits or never answers) and stops it, so every suite drives the collector the same way.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from eventyard.settings import Settings
from tests.conftest import free_port


def home_env(settings: Settings, **extra: str) -> dict[str, str]:
    """This process's environment with the collector's state under ``settings.home`` only (no
    database or landing URL inherited), flushing only when a test asks."""
    env = {
        **os.environ,
        "EVENTYARD_HOME": str(settings.home),
        "EVENTYARD_SECRET_KEY": settings.secret_key.get_secret_value() if settings.secret_key else "",
        "EVENTYARD_FLUSH_INTERVAL_SECONDS": "600",
        **extra,
    }
    env.pop("EVENTYARD_DATABASE_URL", None)
    env.pop("EVENTYARD_LANDING_URL", None)
    return env


@contextmanager
def collector_process(
    env: Mapping[str, str], cwd: Path, log: Path, args: Sequence[str] = ()
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run ``eventyard collector --port <free port> *args``; yield its URL and process once ready."""
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "eventyard"), "collector", "--port", str(port), *args],
            env=dict(env),
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=cwd,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, process, log)
        yield url, process
    finally:
        stop(process)


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 120.0) -> None:
    """Return once ``url``/readyz answers 200; raise with the log if the process exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"collector exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"collector not ready in time:\n{log.read_text()}")


def stop(process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """SIGTERM, then SIGKILL if it does not exit within ``timeout``."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
