"""Keen through the delivery engine: a bulk write where some events fail on Keen's side is
retried for those events only, so every event is stored exactly once (Keen has no idempotency
key, so resending the whole batch would duplicate the others)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from eventyard.destinations.cycle import deliver_once
from eventyard.destinations.engine import RetryPolicy
from eventyard.destinations.vendors.keen import Keen
from eventyard.settings import Settings
from tests.destinations.pipeline import add_integration, land, message
from tests.destinations.vendors import harness

QUICK = RetryPolicy(base_delay=0.01, max_delay=0.05, inline_budget_seconds=3.0, inline_max_delay=0.5)


class FlakyKeen:
    """Keen's bulk endpoint failing every 7th event once with a Keen-side error."""

    def __init__(self) -> None:
        self.stored: Counter[str] = Counter()
        self.failed_once: set[str] = set()

    def __call__(self, request: harness.Received) -> harness.Reply:
        harness.check(
            request.headers.get("authorization") == "keen-key", 401, {"error_code": "InvalidApiKeyError"}
        )
        results: dict[str, list[dict[str, Any]]] = {}
        for collection, events in request.json().items():
            results[collection] = [self._store(event) for event in events]
        return harness.Reply(200, results)

    def _store(self, event: dict[str, Any]) -> dict[str, Any]:
        key = event["messageId"]
        if int(key.rsplit("-", 1)[1]) % 7 == 0 and key not in self.failed_once:
            self.failed_once.add(key)
            return {"success": False, "error": {"name": "InternalServerError", "description": "try again"}}
        self.stored[key] += 1
        return {"success": True}


@pytest.fixture
def keen(monkeypatch: pytest.MonkeyPatch) -> Iterator[FlakyKeen]:
    flaky = FlakyKeen()
    with harness.running(flaky) as receiver:
        monkeypatch.setattr(Keen, "base_url", receiver.url)
        yield flaky


def test_only_the_failed_events_are_resent(
    settings: Settings, org_source: tuple[str, str], keen: FlakyKeen
) -> None:
    add_integration(settings, *org_source, "keen", {"projectID": "P1", "writeKey": "keen-key"})
    events = [message("track" if n % 2 else "page", n) for n in range(60)]
    land(settings, org_source[1], events)
    report = deliver_once(settings, policy=QUICK)
    (keen_report,) = report.integrations
    assert keen_report.delivered == 60 and keen_report.dead_lettered == 0
    assert keen_report.retried == len(keen.failed_once) == 9
    assert sorted(keen.stored) == sorted(m["messageId"] for m in events)
    assert set(keen.stored.values()) == {1}
