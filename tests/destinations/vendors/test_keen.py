"""Keen against a receiver enforcing Keen's bulk event API contract."""

from __future__ import annotations

import pytest

from eventyard.destinations.base import InvalidMessage, Outcome
from eventyard.destinations.vendors._message import parse_time
from eventyard.destinations.vendors.keen import Keen
from tests.destinations.vendors import harness
from tests.destinations.vendors.conftest import TIMESTAMP, make

WRITE_KEY = "keen-write-key-5e3c1a"
MAX_BULK_BYTES = 10_000_000


def keen_contract(request: harness.Received) -> harness.Reply:
    """Keen's bulk write: raw write key in Authorization, ≤10 MB, per-event validation results."""
    harness.check(
        request.path == "/3.0/projects/P1/events" and request.method == "POST", 404, {"message": "not found"}
    )
    harness.check(
        request.headers.get("authorization") == WRITE_KEY,
        401,
        {
            "message": f"The api key {request.headers.get('authorization')} is invalid.",
            "error_code": "InvalidApiKeyError",
        },
    )
    harness.check(
        len(request.body) <= MAX_BULK_BYTES, 413, {"message": "Payload too large", "error_code": "TooLarge"}
    )
    body = request.json()
    harness.check(
        isinstance(body, dict) and bool(body),
        400,
        {"message": "no events", "error_code": "InvalidEventError"},
    )
    results: dict[str, list[dict[str, object]]] = {}
    for collection, events in body.items():
        results[collection] = [_event_result(event) for event in events]
    return harness.Reply(200, results)


def _event_result(event: dict[str, object]) -> dict[str, object]:
    bad = [k for k in event if "." in k or k.startswith("$")]
    if bad:
        description = f"Property name {bad[0]!r} cannot contain '.' or start with '$'."
        return {"success": False, "error": {"name": "InvalidPropertyNameError", "description": description}}
    vendor = event.get("keen")
    if not isinstance(vendor, dict) or parse_time(vendor.get("timestamp")) is None:
        return {
            "success": False,
            "error": {"name": "InvalidTimestampError", "description": "bad keen.timestamp"},
        }
    return {"success": True}


SPEC = harness.VendorSpec(
    Keen, {"projectID": "P1", "writeKey": WRITE_KEY}, {"ipAddon": True, "urlAddon": True}, keen_contract
)


def test_track_and_page_are_accepted_other_calls_skipped(
    vendor: Keen, receiver: harness.Receiver, messages
) -> None:
    delivery = harness.deliver(vendor, list(messages.values()))
    assert delivery.outcomes == ["success"]
    assert set(delivery.skipped) == {"m-identify-1", "m-screen-1", "m-group-1", "m-alias-1"}
    body = receiver.accepted[0].json()
    order = body["Order Completed"][0]
    assert order["order_id"] == "o_55" and order["user"]["userId"] == "u_123"
    assert parse_time(order["keen"]["timestamp"]) == TIMESTAMP
    assert {a["name"] for a in order["keen"]["addons"]} == {"keen:ip_to_geo", "keen:url_parser"}
    assert body["Viewed Shop Checkout Page"][0]["page_url"] == "https://shop.example.com/checkout"


def test_partial_failure_reports_only_the_failed_events(vendor: Keen, receiver: harness.Receiver) -> None:
    good = make("track", 1)
    bad = make("track", 2, properties={"bad.name": 1})
    page = make("page", 3)
    delivery = harness.deliver(vendor, [good, bad, page])
    (_, _, classification) = delivery.results[0]
    assert classification.outcome is Outcome.PARTIAL
    assert list(classification.failed) == [1]
    assert "InvalidPropertyNameError" in classification.failed[1]
    assert classification.retry_failed is False


def test_retry_split_and_drop(vendor: Keen, receiver: harness.Receiver) -> None:
    records = vendor.transform(make("track"))
    throttled = harness.fault(
        vendor, receiver, harness.Reply(429, {"message": "slow down"}, {"Retry-After": "60"}), records
    )
    assert throttled.outcome is Outcome.RETRY and throttled.retry_after == 60
    assert (
        harness.fault(vendor, receiver, harness.Reply(503, "unavailable"), records).outcome is Outcome.RETRY
    )
    assert (
        harness.fault(vendor, receiver, harness.Reply(413, {"message": "too large"}), records).outcome
        is Outcome.SPLIT
    )
    vendor.connection["writeKey"] = "wrong-key-1234"
    denied = vendor.classify(harness.send(vendor, "default", records), records)
    assert denied.outcome is Outcome.DROP and "InvalidApiKeyError" in denied.error
    assert "wrong-key-1234" not in vendor.redact(denied.error)


def test_invalid_collection_names_dead_letter(vendor: Keen) -> None:
    with pytest.raises(InvalidMessage, match="collection names"):
        vendor.transform(make("track", event="$special"))
    with pytest.raises(InvalidMessage, match="no event name"):
        vendor.transform(make("track", event=""))
