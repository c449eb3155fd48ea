"""@segment/analytics-node (the real npm client, from node_modules) against a live collector."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.collector.api.conftest import WK
from tests.collector.sdk.conftest import NODE_MODULES, LiveCollector

EVENTS = 3000
SCRIPT = Path(__file__).with_name("send_node_events.js")


@pytest.mark.slow
@pytest.mark.parametrize("live_collector", [2], indirect=True, ids=["2-workers"])
def test_every_node_sdk_event_lands_exactly_once(live_collector: LiveCollector) -> None:
    """Two worker processes (two spool slots, flushed through their owners), as in production."""
    node = shutil.which("node")
    assert node is not None, "node is required (Debian package nodejs)"
    assert (NODE_MODULES / "@segment" / "analytics-node").is_dir(), "run `make setup` (npm ci)"
    result = subprocess.run(
        [node, str(SCRIPT), live_collector.url, WK, str(EVENTS)],
        env={**os.environ, "NODE_PATH": str(NODE_MODULES)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    landed = live_collector.landed_message_ids()
    assert set(landed) == {f"node-{i}" for i in range(EVENTS)}
    assert max(landed.values()) == 1
    # Two spool slots, and /metrics on either worker aggregates both (multiprocess mode).
    assert len(list(live_collector.settings.resolved_spool_dir.glob("slot-*"))) == 2
    metrics = httpx.get(f"{live_collector.url}/metrics", timeout=10).text
    assert f"eventyard_collector_events_accepted_total {float(EVENTS)}" in metrics
