"""A real collector process (``eventyard collector``: uvicorn, real spool, flusher, landing) per test."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from eventyard.collector.flusher import flush_all
from eventyard.landing import open_store, read_parquet
from eventyard.settings import Settings
from tests.collector.api.conftest import WK, make_settings, seed
from tests.conftest import free_port

REPO = Path(__file__).resolve().parents[3]
NODE_MODULES = REPO / "node_modules"


@dataclass
class LiveCollector:
    """A collector subprocess on 127.0.0.1 and the settings that reach its state."""

    url: str
    settings: Settings
    process: subprocess.Popen[bytes]

    def landed_message_ids(self, source_id: str = WK) -> Counter[str]:
        """Flush every spool slot now, then count message ids in the landed (accepted) Parquet."""
        flush_all(self.settings)
        store = open_store(self.settings.resolved_landing_url)
        counts: Counter[str] = Counter()
        for key in store.list(f"source={source_id}/"):
            if key.endswith(".parquet"):
                counts.update(read_parquet(store.get(key)).column("message_id").to_pylist())
        return counts


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
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


@pytest.fixture
def live_collector(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[LiveCollector]:
    """``eventyard collector`` in a subprocess, flushing only when asked (flush_all).

    Parametrize indirectly with a worker count to run ``--workers N``.
    """
    workers = int(getattr(request, "param", 1))
    home = tmp_path / "home"
    settings = make_settings(home, flush_interval_seconds=600.0)
    seed(settings)
    port = free_port()
    env = {
        **os.environ,
        "EVENTYARD_HOME": str(home),
        "EVENTYARD_SECRET_KEY": settings.secret_key.get_secret_value() if settings.secret_key else "",
        "EVENTYARD_FLUSH_INTERVAL_SECONDS": "600",
    }
    env.pop("EVENTYARD_DATABASE_URL", None)
    env.pop("EVENTYARD_LANDING_URL", None)
    log = tmp_path / "collector.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "eventyard"),
                "collector",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, log)
        yield LiveCollector(url, settings, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_node_sender(script: Path, package: str, collector: LiveCollector, events: int) -> None:
    """Run a Node sender script (from node_modules' ``package``) against the collector; fail on error."""
    import shutil

    node = shutil.which("node")
    assert node is not None, "node is required (Debian package nodejs)"
    assert (NODE_MODULES / package).is_dir(), "run `make setup` (npm ci)"
    result = subprocess.run(
        [node, str(script), collector.url, WK, str(events)],
        env={**os.environ, "NODE_PATH": str(NODE_MODULES)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
