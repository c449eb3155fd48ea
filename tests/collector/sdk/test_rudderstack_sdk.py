"""@rudderstack/rudder-sdk-node (npm; gzip, Basic auth, originalTimestamp only) against a live collector."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from eventyard.landing import open_store, read_parquet
from tests.collector.api.conftest import WK
from tests.collector.sdk.conftest import NODE_MODULES, LiveCollector

EVENTS = 3000
SCRIPT = Path(__file__).with_name("send_rudderstack_events.js")


@pytest.mark.slow
def test_every_rudderstack_sdk_event_lands_exactly_once(live_collector: LiveCollector) -> None:
    node = shutil.which("node")
    assert node is not None, "node is required (Debian package nodejs)"
    assert (NODE_MODULES / "@rudderstack" / "rudder-sdk-node").is_dir(), "run `make setup` (npm ci)"
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
    assert set(landed) == {f"rs-{i}" for i in range(EVENTS)}
    assert max(landed.values()) == 1
    # RudderStack stamps originalTimestamp (no timestamp): the skew-corrected timestamp is set.
    store = open_store(live_collector.settings.resolved_landing_url)
    key = next(k for k in store.list(f"source={WK}/") if k.endswith(".parquet"))
    table = read_parquet(store.get(key))
    assert table.column("original_timestamp").null_count == 0
    assert table.column("timestamp").null_count == 0
