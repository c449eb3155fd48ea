"""A real collector process (``eventyard collector``: uvicorn, real spool, flusher, landing) per test."""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from eventyard.collector.flusher import flush_all
from eventyard.landing import open_store, read_parquet
from eventyard.settings import Settings
from tests.collector.api.conftest import WK, make_settings, seed
from tests.live_collector import collector_process, home_env

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


@pytest.fixture
def live_collector(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[LiveCollector]:
    """``eventyard collector`` in a subprocess, flushing only when asked (flush_all).

    Parametrize indirectly with a worker count to run ``--workers N``.
    """
    workers = int(getattr(request, "param", 1))
    home = tmp_path / "home"
    settings = make_settings(home, flush_interval_seconds=600.0)
    seed(settings)
    log, args = tmp_path / "collector.log", ["--workers", str(workers)]
    with collector_process(home_env(settings), tmp_path, log, args) as (url, process):
        yield LiveCollector(url, settings, process)


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
