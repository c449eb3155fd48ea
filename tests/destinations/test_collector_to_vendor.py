"""The whole path: Segment's Python SDK → the real collector process (spool, flush, landing,
manifest) → deliver_once → a webhook receiver: every call type arrives once, as the collector
normalized it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from segment.analytics import Client

from eventyard.collector.flusher import flush_all
from eventyard.destinations.cycle import deliver_once
from eventyard.settings import Settings
from tests.destinations.pipeline import create_org_source
from tests.destinations.receivers import VendorReceiver
from tests.destinations.test_cycle import webhook_integration
from tests.live_collector import collector_process


@pytest.fixture
def collector_url(sqlite_settings: Settings, tmp_path: Path) -> Iterator[str]:
    """``eventyard collector`` on a free loopback port, flushing only when asked."""
    env = {**os.environ, "EVENTYARD_FLUSH_INTERVAL_SECONDS": "600"}
    with collector_process(env, tmp_path, tmp_path / "collector.log") as (url, _):
        yield url


@pytest.mark.slow
def test_sdk_events_reach_the_vendor_once(
    sqlite_settings: Settings, collector_url: str, webhook_receiver: VendorReceiver
) -> None:
    org_source = create_org_source(sqlite_settings)
    webhook_integration(sqlite_settings, org_source, webhook_receiver.url, enableBatching=True, batchSize=50)
    errors: list[object] = []
    client = Client(
        write_key=org_source[1], host=collector_url, upload_size=100, on_error=lambda e, b: errors.append(e)
    )
    for i in range(50):
        user = f"u{i % 5}"
        client.track(user_id=user, event="Order Completed", properties={"n": i}, message_id=f"t-{i}")
        client.identify(user_id=user, traits={"plan": "pro"}, message_id=f"i-{i}")
        client.page(anonymous_id=f"a{i}", name="Home", properties={"path": "/"}, message_id=f"p-{i}")
        client.screen(user_id=user, name="Cart", message_id=f"s-{i}")
        client.group(user_id=user, group_id="g1", traits={"name": "Acme"}, message_id=f"g-{i}")
        client.alias(previous_id=f"a{i}", user_id=user, message_id=f"al-{i}")
    client.flush()
    client.join()
    assert errors == []
    flush_all(sqlite_settings)

    report = deliver_once(sqlite_settings)
    assert report.totals()["delivered"] == 300 and report.totals()["dead_lettered"] == 0
    assert webhook_receiver.violations == [] and webhook_receiver.duplicates() == {}
    prefixes = ("t", "i", "p", "s", "g", "al")
    assert sorted(webhook_receiver.deliveries) == sorted(f"{p}-{i}" for p in prefixes for i in range(50))
    delivered = {m["messageId"]: m for r in webhook_receiver.accepted for m in r.json()}
    track = delivered["t-7"]
    assert track["type"] == "track" and track["properties"] == {"n": 7} and track["userId"] == "u2"
    assert track["receivedAt"] and track["context"]["library"]["name"] == "analytics-python"
    assert delivered["al-3"]["previousId"] == "a3" and delivered["g-1"]["groupId"] == "g1"
