"""Lytics against a receiver enforcing its Data Collection API contract."""

from __future__ import annotations

from eventyard.destinations.base import Outcome
from eventyard.destinations.vendors._message import parse_time
from eventyard.destinations.vendors.lytics import Lytics
from tests.destinations.vendors.conftest import make
from tests.destinations.vendors.harness import (
    Received,
    Receiver,
    Reply,
    VendorSpec,
    assert_retry_policy,
    check,
    deliver,
)

API_KEY = "lytics-api-key-77aa"


def lytics_contract(request: Received) -> Reply:
    """``POST /collect/json/{stream}``: raw API key header, flat JSON records, <10 MB."""
    check(request.method == "POST" and request.path == "/collect/json/web_events", 404, {"status": 404})
    check(
        request.headers.get("authorization") == API_KEY,
        401,
        {"status": 401, "message": f"invalid key {request.headers.get('authorization')}"},
    )
    check(len(request.body) < 10_000_000, 413, {"status": 413, "message": "body too large, use the bulk API"})
    field = request.arg("timestamp_field")
    records = request.json()
    check(isinstance(records, list), 400, {"status": 400, "message": "expected a JSON array"})
    for record in records:
        check(
            all(not isinstance(v, dict) for v in record.values()), 400, {"status": 400, "message": "not flat"}
        )
        check(
            field is not None and parse_time(record.get(field)) is not None,
            400,
            {"status": 400, "message": "ts"},
        )
        check(
            bool(record.get("user_id") or record.get("anonymous_id")),
            400,
            {"status": 400, "message": "no id"},
        )
    return Reply(200, {"status": 200, "message": "success", "data": {"message_count": len(records)}})


SPEC = VendorSpec(Lytics, {"apiKey": API_KEY}, {"stream": "web_events"}, lytics_contract)


def test_track_identify_page_screen_accepted(vendor: Lytics, receiver: Receiver, messages) -> None:
    delivery = deliver(vendor, list(messages.values()))
    assert delivery.outcomes == ["success"]
    assert set(delivery.skipped) == {"m-group-1", "m-alias-1"}
    track, identify, page, screen = receiver.accepted[0].json()
    assert track["_e"] == "Order Completed" and track["shipping_method"] == "express"
    assert identify["first_name"] == "Jo" and identify["address_city"] == "Paris"
    assert page["event"] == "Checkout" and screen["event"] == "Cart"
    assert track["user_id"] == "u_123" and track["message_id"] == "m-track-1"


def test_errors(vendor: Lytics, receiver: Receiver) -> None:
    records = vendor.transform(make("track"))
    assert_retry_policy(
        vendor,
        receiver,
        records,
        Reply(429, {"status": 429}, {"Retry-After": "5"}),
        5,
        too_large=Reply(413, {"status": 413}),
    )
    vendor.connection["apiKey"] = "stale-key-0000"
    denied = deliver(vendor, [make("track")]).results[0][2]
    assert denied.outcome is Outcome.DROP and "stale-key-0000" not in vendor.redact(denied.error)
