"""segment-analytics-python (the real PyPI client) against a live collector, with gzip."""

from __future__ import annotations

import pytest
from segment.analytics import Client

from tests.collector.api.conftest import WK
from tests.collector.sdk.conftest import LiveCollector

EVENTS = 3000


@pytest.mark.slow
def test_every_python_sdk_event_lands_exactly_once(live_collector: LiveCollector) -> None:
    errors: list[object] = []
    client = Client(
        write_key=WK,
        host=live_collector.url,
        gzip=True,
        upload_size=250,
        max_queue_size=EVENTS + 100,
        on_error=lambda error, batch: errors.append(error),
    )
    sent: list[str] = []
    for i in range(EVENTS):
        message_id = f"py-{i}"
        kind = i % 3
        if kind == 0:
            client.track(
                user_id=f"u{i % 50}", event="Order Completed", properties={"n": i}, message_id=message_id
            )
        elif kind == 1:
            client.identify(user_id=f"u{i % 50}", traits={"plan": "pro"}, message_id=message_id)
        else:
            client.page(anonymous_id=f"a{i}", name="Home", properties={"path": "/"}, message_id=message_id)
        sent.append(message_id)
    client.flush()
    client.join()
    assert errors == []
    landed = live_collector.landed_message_ids()
    assert set(landed) == set(sent)
    assert max(landed.values()) == 1
