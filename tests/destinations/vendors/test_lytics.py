"""Lytics against a receiver enforcing its Data Collection API contract."""

from __future__ import annotations

from eventyard.destinations.vendors._message import parse_time
from eventyard.destinations.vendors.lytics import Lytics
from tests.destinations.vendors import harness

API_KEY = "lytics-api-key-77aa"


def lytics_contract(request: harness.Received) -> harness.Reply:
    """``POST /collect/json/{stream}``: raw API key header, flat JSON records, <10 MB."""
    harness.check(
        request.method == "POST" and request.path == "/collect/json/web_events", 404, {"status": 404}
    )
    harness.check(
        request.headers.get("authorization") == API_KEY,
        401,
        {"status": 401, "message": f"invalid key {request.headers.get('authorization')}"},
    )
    harness.check(
        len(request.body) < 10_000_000, 413, {"status": 413, "message": "body too large, use the bulk API"}
    )
    field = request.arg("timestamp_field")
    records = request.json()
    harness.check(isinstance(records, list), 400, {"status": 400, "message": "expected a JSON array"})
    for record in records:
        harness.check(
            all(not isinstance(v, dict) for v in record.values()), 400, {"status": 400, "message": "not flat"}
        )
        harness.check(
            field is not None and parse_time(record.get(field)) is not None,
            400,
            {"status": 400, "message": "ts"},
        )
        harness.check(
            bool(record.get("user_id") or record.get("anonymous_id")),
            400,
            {"status": 400, "message": "no id"},
        )
    return harness.Reply(200, {"status": 200, "message": "success", "data": {"message_count": len(records)}})


SPEC = harness.VendorSpec(
    Lytics,
    {"apiKey": API_KEY},
    {"stream": "web_events"},
    lytics_contract,
    harness.ErrorContract(
        throttled=harness.Reply(429, {"status": 429}, {"Retry-After": "5"}),
        retry_after=5,
        too_large=harness.Reply(413, {"status": 413}),
        credential="apiKey",
        wrong_value="stale-key-0000",
    ),
)


def test_track_identify_page_screen_accepted(vendor: Lytics, receiver: harness.Receiver, messages) -> None:
    delivery = harness.deliver(vendor, list(messages.values()))
    assert delivery.outcomes == ["success"]
    assert set(delivery.skipped) == {"m-group-1", "m-alias-1"}
    track, identify, page, screen = receiver.accepted[0].json()
    assert track["_e"] == "Order Completed" and track["shipping_method"] == "express"
    assert identify["first_name"] == "Jo" and identify["address_city"] == "Paris"
    assert page["event"] == "Checkout" and screen["event"] == "Cart"
    assert track["user_id"] == "u_123" and track["message_id"] == "m-track-1"
