"""Facebook Pixel (Meta Conversions API) against a receiver enforcing the CAPI contract."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from eventyard.destinations.base import InvalidMessage, Outcome, VendorRecord
from eventyard.destinations.vendors.facebook_pixel import FacebookPixel
from tests.destinations.vendors import harness
from tests.destinations.vendors.conftest import NOW, TIMESTAMP, make

TOKEN = "EAAB-system-user-token-77"
HEX64 = re.compile(r"^[0-9a-f]{64}$")
ACTION_SOURCES = {
    "website",
    "app",
    "email",
    "phone_call",
    "chat",
    "physical_store",
    "system_generated",
    "other",
}
MATCH_KEYS = {"em", "ph", "external_id", "client_ip_address", "fbp", "fbc", "madid", "anon_id"}


def graph_error(code: int, message: str, user_msg: str = "", status: int = 400) -> harness.Reply:
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbC123"}
    if user_msg:
        error.update(error_subcode=2804003, error_user_title="Invalid event", error_user_msg=user_msg)
    return harness.Reply(status, {"error": error})


class Dataset:
    """A Meta dataset: validates the whole batch (one bad event rejects it) and dedupes on event_id."""

    def __init__(self) -> None:
        self.events: dict[str, dict[str, Any]] = {}

    def __call__(self, request: harness.Received) -> harness.Reply:
        harness.check(
            request.path == "/v25.0/PIXEL1/events", 404, {"error": {"message": "Unknown path", "code": 803}}
        )
        body = request.json()
        if body.get("access_token") != TOKEN:
            raise_reply(graph_error(190, "Invalid OAuth access token - Cannot parse access token"))
        data = body.get("data")
        if not isinstance(data, list) or not 0 < len(data) <= 1000:
            raise_reply(graph_error(100, "Invalid parameter", "data must hold 1 to 1000 events"))
        for index, event in enumerate(data):
            problem = _problem(event)
            if problem:
                raise_reply(graph_error(100, "Invalid parameter", f"event {index}: {problem}"))
        for event in data:
            self.events.setdefault(event["event_id"], event)
        return harness.Reply(200, {"events_received": len(data), "messages": [], "fbtrace_id": "AbC123"})


def raise_reply(reply: harness.Reply) -> None:
    raise harness.ContractError(reply)


def _problem(event: dict[str, Any]) -> str | None:
    if not isinstance(event.get("event_time"), int) or event["event_time"] > NOW.timestamp() + 60:
        return "event_time must be unix seconds, not in the future"
    if event["event_time"] < (NOW - timedelta(days=7)).timestamp():
        return "event_time is more than 7 days old"
    if not event.get("event_name") or event.get("action_source") not in ACTION_SOURCES:
        return "event_name and a valid action_source are required"
    user = event.get("user_data") or {}
    if not MATCH_KEYS & set(user):
        return "user_data needs at least one customer information parameter"
    if any(not HEX64.match(v) for key in ("em", "ph", "fn", "ln", "external_id") for v in user.get(key, [])):
        return "em/ph/fn/ln/external_id must be SHA-256 hashes"
    if event["action_source"] == "website" and not (
        event.get("event_source_url") and user.get("client_user_agent")
    ):
        return "website events need event_source_url and client_user_agent"
    custom = event.get("custom_data") or {}
    valid_value = isinstance(custom.get("value"), int | float)
    valid_currency = re.fullmatch(r"[A-Z]{3}", str(custom.get("currency"))) is not None
    if event["event_name"] == "Purchase" and not (valid_value and valid_currency):
        return "Purchase needs a numeric value and an ISO 4217 currency"
    return None


SPEC = harness.VendorSpec(
    FacebookPixel, {"pixelId": "PIXEL1", "accessToken": TOKEN}, {"limitedDataUse": True}, Dataset
)


def test_track_and_page_are_accepted(vendor: FacebookPixel, contract: Dataset, messages) -> None:
    delivery = harness.deliver(vendor, list(messages.values()))
    assert delivery.outcomes == ["success"]
    assert set(delivery.skipped) == {"m-identify-1", "m-screen-1", "m-group-1", "m-alias-1"}
    purchase = contract.events["m-track-1"]
    assert purchase["event_name"] == "Purchase" and purchase["event_time"] == int(TIMESTAMP.timestamp())
    assert purchase["user_data"]["em"] == [hashlib.sha256(b"jo@example.com").hexdigest()]
    assert purchase["user_data"]["client_ip_address"] == "203.0.113.7"
    custom = purchase["custom_data"]
    assert (custom["value"], custom["currency"], custom["content_ids"]) == (42.5, "USD", ["sku_1"])
    assert custom["order_id"] == "o_55" and "email" not in custom
    assert purchase["data_processing_options"] == ["LDU"]
    assert contract.events["m-page-1"]["event_name"] == "PageView"


def test_an_invalid_event_is_isolated_by_splitting(vendor: FacebookPixel, contract: Dataset) -> None:
    messages = [make("track", n) for n in range(6)]
    messages[4]["properties"]["currency"] = "dollars"
    records = [r for message in messages for r in vendor.transform(message)]
    dead = _deliver_with_splits(vendor, records)
    assert list(dead) == ["m-track-4"] and "ISO 4217" in dead["m-track-4"]
    assert sorted(contract.events) == [f"m-track-{n}" for n in (0, 1, 2, 3, 5)]


def _deliver_with_splits(vendor: FacebookPixel, records: Sequence[VendorRecord]) -> dict[str, str]:
    """What the engine does with SPLIT: halve and resend; a single record that fails is dead."""
    result = vendor.classify(harness.send(vendor, "default", records), records)
    if result.outcome is Outcome.SPLIT:
        half = len(records) // 2
        return {
            **_deliver_with_splits(vendor, records[:half]),
            **_deliver_with_splits(vendor, records[half:]),
        }
    if result.outcome is Outcome.DROP:
        return {r.message_id: result.error for r in records}
    assert result.outcome is Outcome.SUCCESS
    return {}


def test_graph_error_codes(vendor: FacebookPixel, receiver: harness.Receiver) -> None:
    records = vendor.transform(make("page"))
    usage = '{"123": [{"type": "ads_management", "estimated_time_to_regain_access": 5}]}'
    throttled = harness.fault(
        vendor,
        receiver,
        harness.Reply(
            **vars(graph_error(80004, "Too many calls")),
        ),
        records,
    )
    assert throttled.outcome is Outcome.RETRY and throttled.retry_after == 60
    limited = graph_error(17, "User request limit reached")
    limited.headers = {"X-Business-Use-Case-Usage": usage}
    assert harness.fault(vendor, receiver, limited, records).retry_after == 300
    transient = harness.fault(
        vendor, receiver, graph_error(2, "Service temporarily unavailable", status=500), records
    )
    assert transient.outcome is Outcome.RETRY
    assert (
        harness.fault(vendor, receiver, harness.Reply(429, "", {"Retry-After": "7"}), records).retry_after
        == 7
    )
    assert (
        harness.fault(vendor, receiver, harness.Reply(413, "Request Entity Too Large"), records).outcome
        is Outcome.SPLIT
    )
    vendor.connection["accessToken"] = "EAAB-expired-token-12"
    denied = vendor.classify(harness.send(vendor, "default", records), records)
    assert denied.outcome is Outcome.DROP and "190" in denied.error
    request = vendor.build_request("default", records)
    assert "EAAB-expired-token-12" not in request.url
    assert "EAAB-expired-token-12" not in vendor.redact(f"{denied.error} {request.body!r}")


def test_undeliverable_events_dead_letter_with_a_reason(vendor: FacebookPixel) -> None:
    with pytest.raises(InvalidMessage, match="older than 7 days"):
        vendor.transform(make("track", timestamp=(NOW - timedelta(days=8)).isoformat()))
    no_currency = make("track")
    del no_currency["properties"]["currency"]
    with pytest.raises(InvalidMessage, match="value and currency"):
        vendor.transform(no_currency)


def test_batch_limit_is_metas(vendor: FacebookPixel, receiver: harness.Receiver) -> None:
    harness.assert_batch_limit(vendor, receiver, [make("page", n) for n in range(1001)], "default")


def test_website_events_need_a_page_and_a_browser(vendor: FacebookPixel, contract: Dataset) -> None:
    server_side = make("track", event="Subscription Renewed", context={"ip": "203.0.113.7"})
    with pytest.raises(InvalidMessage, match="event_source_url and client_user_agent"):
        vendor.transform(server_side)
    vendor.config["actionSource"] = "system_generated"
    assert harness.deliver(vendor, [server_side]).outcomes == ["success"]
    assert contract.events["m-track-1"]["action_source"] == "system_generated"


def test_custom_event_mapping_as_dict_or_pairs(vendor: FacebookPixel) -> None:
    vendor.config["eventsToEvents"] = {"Trial Started": "StartTrial"}
    assert vendor.transform(make("track", event="Trial Started"))[0].payload["event_name"] == "StartTrial"
    vendor.config["eventsToEvents"] = [{"from": "Form Sent", "to": "Lead"}]
    assert vendor.transform(make("track", event="Form Sent"))[0].payload["event_name"] == "Lead"
    assert vendor.transform(make("track", event="Other"))[0].payload["event_name"] == "Other"


def test_spec_event_names_match_case_insensitively(vendor: FacebookPixel, contract: Dataset) -> None:
    names = {1: "order completed", 2: "PRODUCT ADDED", 3: "Checkout  started", 4: "Order Shipped"}
    delivery = harness.deliver(vendor, [make("track", n, event=name) for n, name in names.items()])
    assert delivery.outcomes == ["success"]
    assert {n: contract.events[f"m-track-{n}"]["event_name"] for n in names} == {
        1: "Purchase",
        2: "AddToCart",
        3: "InitiateCheckout",
        4: "Order Shipped",  # not a spec event: a custom event under its own name
    }
    # A configured mapping names exact events and wins over the spec.
    vendor.config["eventsToEvents"] = {"order completed": "Subscribe"}
    (record,) = vendor.transform(make("track", 5, event="order completed"))
    assert record.payload["event_name"] == "Subscribe"
