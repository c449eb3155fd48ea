"""@segment/analytics-node (the real npm client, from node_modules) against a live collector."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from eventyard.collector.metrics import PUBLISH_INTERVAL_S
from tests.collector.sdk.conftest import LiveCollector, run_node_sender

EVENTS = 3000
SCRIPT = Path(__file__).with_name("send_node_events.js")


@pytest.mark.slow
@pytest.mark.parametrize("live_collector", [2], indirect=True, ids=["2-workers"])
def test_every_node_sdk_event_lands_exactly_once(live_collector: LiveCollector) -> None:
    """Two worker processes (two spool slots, flushed through their owners), as in production."""
    run_node_sender(SCRIPT, "@segment/analytics-node", live_collector, EVENTS)
    landed = live_collector.landed_message_ids()
    assert set(landed) == {f"node-{i}" for i in range(EVENTS)}
    assert max(landed.values()) == 1
    # Two spool slots, and /metrics on either worker aggregates both (multiprocess mode).
    assert len(list(live_collector.settings.resolved_spool_dir.glob("slot-*"))) == 2
    # Each worker adds its request counts to the shared files every PUBLISH_INTERVAL_S (and at
    # each scrape it serves), so the other worker's last ones may take that long to show.
    expected = f"eventyard_collector_events_accepted_total {float(EVENTS)}"
    deadline = time.monotonic() + 10 * PUBLISH_INTERVAL_S
    metrics = httpx.get(f"{live_collector.url}/metrics", timeout=10).text
    while expected not in metrics and time.monotonic() < deadline:
        time.sleep(PUBLISH_INTERVAL_S / 5)
        metrics = httpx.get(f"{live_collector.url}/metrics", timeout=10).text
    assert expected in metrics
