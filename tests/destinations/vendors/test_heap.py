"""Heap against a receiver enforcing its server-side integrations API."""

from __future__ import annotations

from eventyard.destinations.vendors._message import parse_time
from eventyard.destinations.vendors.heap import Heap
from tests.destinations.vendors import harness
from tests.destinations.vendors.conftest import make


class HeapStore:
    """Heap's bulk endpoints; events are deduplicated by ``idempotency_key``."""

    def __init__(self) -> None:
        self.events: dict[str, dict[str, object]] = {}
        self.users: list[dict[str, object]] = []

    def __call__(self, request: harness.Received) -> harness.Reply:
        harness.check(request.method == "POST", 405, "Method Not Allowed")
        body = request.json()
        harness.check(body.get("app_id") == "1234567890", 400, "Invalid app_id")
        harness.check(len(request.body) <= 1_000_000, 413, "Request Entity Too Large")
        if request.path == "/api/integrations/track":
            events = body.get("events")
            harness.check(isinstance(events, list) and 0 < len(events) <= 1000, 400, "events: 1-1000 entries")
            for event in events:
                self._check_event(event)
            for event in events:
                self.events[event["idempotency_key"]] = event
        elif request.path == "/api/integrations/add_user_properties":
            users = body.get("users")
            harness.check(isinstance(users, list) and 0 < len(users) <= 1000, 400, "users: 1-1000 entries")
            for user in users:
                harness.check(bool(user.get("user_identifier")), 400, "user_identifier is required")
                _check_properties(user.get("custom_properties"))
            self.users.extend(users)
        else:
            harness.check(False, 404, "Not Found")
        return harness.Reply(200, "")

    def _check_event(self, event: dict[str, object]) -> None:
        harness.check(
            bool(event.get("event")) and bool(event.get("idempotency_key")), 400, "event and idempotency_key"
        )
        identifier = event.get("user_identifier")
        harness.check(isinstance(identifier, dict) and len(identifier) == 1, 400, "one user_identifier")
        harness.check(parse_time(event.get("timestamp")) is not None, 400, "timestamp must be ISO-8601")
        _check_properties(event.get("custom_properties"))


def _check_properties(props: object) -> None:
    harness.check(isinstance(props, dict), 400, "custom_properties must be an object")
    assert isinstance(props, dict)
    for key, value in props.items():
        harness.check(
            isinstance(value, str) and len(value) <= 1024 and len(key) <= 512, 400, f"bad property {key}"
        )


SPEC = harness.VendorSpec(
    Heap,
    {"appId": "1234567890"},
    {},
    HeapStore,
    harness.ErrorContract(
        throttled=harness.Reply(429, "Too Many Requests", {"Retry-After": "30"}),
        retry_after=30,
        too_large=harness.Reply(413, ""),
        credential="appId",
        wrong_value="999",
    ),
)


def test_events_and_user_properties_accepted(vendor: Heap, contract: HeapStore, messages) -> None:
    delivery = harness.deliver(vendor, list(messages.values()))
    assert delivery.outcomes == ["success", "success"]
    assert set(delivery.skipped) == {"m-group-1", "m-alias-1"}
    track = contract.events["m-track-1"]
    assert track["event"] == "Order Completed" and track["user_identifier"] == {"identity": "u_123"}
    assert track["custom_properties"]["shipping.method"] == "express"  # type: ignore[index]
    assert track["custom_properties"]["revenue"] == "42.5"  # type: ignore[index]
    assert contract.events["m-page-1"]["event"] == "Page viewed"
    assert contract.events["m-screen-1"]["event"] == "Screen viewed"
    assert contract.users[0]["custom_properties"]["address.city"] == "Paris"  # type: ignore[index]


def test_redelivery_is_deduplicated_by_idempotency_key(vendor: Heap, contract: HeapStore) -> None:
    anonymous = make("track", 2, userId=None)
    harness.deliver(vendor, [make("track"), anonymous])
    harness.deliver(vendor, [make("track"), anonymous])
    assert len(contract.events) == 2
    assert contract.events["m-track-2"]["user_identifier"] == {"anonymous_id": "a_9f1b2c"}


def test_batch_limit_is_heaps(vendor: Heap, receiver: harness.Receiver) -> None:
    harness.assert_batch_limit(vendor, receiver, [make("track", n) for n in range(1001)], "events")
