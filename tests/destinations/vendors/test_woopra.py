"""Woopra against a receiver enforcing its HTTP Tracking API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from eventyard.destinations.base import Outcome
from eventyard.destinations.vendors.woopra import Woopra
from tests.destinations.vendors import harness
from tests.destinations.vendors.conftest import TIMESTAMP, make


def woopra_contract(request: harness.Received) -> harness.Reply:
    """``project`` routes the data; ``cookie`` identifies the visitor; ``timestamp`` in ms."""
    harness.check(request.path in {"/track/ce", "/track/identify"}, 404, "Not Found")
    harness.check(request.arg("project") == "example.com", 400, "Unknown project")
    harness.check(bool(request.arg("cookie")), 400, "cookie is required")
    stamp = request.arg("timestamp") or ""
    harness.check(stamp.isdigit() and len(stamp) == 13, 400, "timestamp must be epoch milliseconds")
    if request.path == "/track/ce":
        harness.check(bool(request.arg("event")), 400, "event is required")
    return harness.Reply(200, "")


@pytest.fixture
def receiver() -> Iterator[harness.Receiver]:
    with harness.running(woopra_contract) as receiver:
        yield receiver


@pytest.fixture
def woopra(receiver: harness.Receiver) -> Woopra:
    integration = Woopra({"projectName": "example.com"}, {})
    integration.base_url = receiver.url
    return integration


def test_track_identify_page_screen_accepted(woopra: Woopra, receiver: harness.Receiver, messages) -> None:
    delivery = harness.deliver(woopra, list(messages.values()))
    assert delivery.outcomes == ["success"] * 4
    assert set(delivery.skipped) == {"m-group-1", "m-alias-1"}
    track, identify, page, screen = receiver.accepted
    assert track.arg("event") == "Order Completed" and track.arg("ce_order_id") == "o_55"
    assert track.arg("timestamp") == str(round(TIMESTAMP.timestamp() * 1000))
    assert identify.path == "/track/identify" and identify.arg("cv_email") == "jo@example.com"
    assert identify.arg("cv_firstname") == "Jo" and identify.arg("cv_id") == "u_123"
    assert page.arg("event") == "Viewed Shop Checkout Page" and page.arg("ce_title") == "Checkout"
    assert screen.arg("event") == "Viewed Cart Screen"


def test_errors(woopra: Woopra, receiver: harness.Receiver) -> None:
    records = woopra.transform(make("track"))
    throttled = harness.fault(woopra, receiver, harness.Reply(429, "", {"Retry-After": "9"}), records)
    assert throttled.outcome is Outcome.RETRY and throttled.retry_after == 9
    assert harness.fault(woopra, receiver, harness.Reply(500, ""), records).outcome is Outcome.RETRY
    woopra.connection["projectName"] = "other.org"
    assert harness.deliver(woopra, [make("track")]).results[0][2].outcome is Outcome.DROP
