"""@rudderstack/rudder-sdk-node (npm; gzip, Basic auth, originalTimestamp only) against a live collector."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventyard.landing import open_store, read_parquet
from tests.collector.api.conftest import WK
from tests.collector.sdk.conftest import LiveCollector, run_node_sender

EVENTS = 3000
SCRIPT = Path(__file__).with_name("send_rudderstack_events.js")


@pytest.mark.slow
def test_every_rudderstack_sdk_event_lands_exactly_once(live_collector: LiveCollector) -> None:
    run_node_sender(SCRIPT, "@rudderstack/rudder-sdk-node", live_collector, EVENTS)
    landed = live_collector.landed_message_ids()
    assert set(landed) == {f"rs-{i}" for i in range(EVENTS)}
    assert max(landed.values()) == 1
    # RudderStack stamps originalTimestamp (no timestamp): the skew-corrected timestamp is set.
    store = open_store(live_collector.settings.resolved_landing_url)
    key = next(k for k in store.list(f"source={WK}/") if k.endswith(".parquet"))
    table = read_parquet(store.get(key))
    assert table.column("original_timestamp").null_count == 0
    assert table.column("timestamp").null_count == 0
