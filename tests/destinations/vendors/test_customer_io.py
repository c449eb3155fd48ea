"""Customer.io against a receiver enforcing the Track API v2 batch and v1 anonymous-event contract."""

from __future__ import annotations

import re
from typing import Any

import pytest

from eventyard.destinations.base import InvalidMessage, Outcome
from eventyard.destinations.vendors.customer_io import CustomerIo, ulid
from tests.destinations.vendors import harness
from tests.destinations.vendors.conftest import TIMESTAMP, make

SITE_ID, API_KEY = "site-42", "cio-track-key-a1b2"
ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
UNAUTHORIZED = {"meta": {"error": "Unauthorized request"}}


class CustomerIoStore:
    """The workspace: people, events deduplicated by their ULID ``id``, objects, merges."""

    def __init__(self) -> None:
        self.events: dict[str, dict[str, Any]] = {}
        self.people: dict[str, dict[str, Any]] = {}
        self.objects: dict[str, dict[str, Any]] = {}
        self.merges: list[tuple[str, str]] = []
        self.devices: list[dict[str, Any]] = []

    def __call__(self, request: harness.Received) -> harness.Reply:
        harness.check(harness.basic_credentials(request) == (SITE_ID, API_KEY), 401, UNAUTHORIZED)
        harness.check(request.method == "POST", 405, {"meta": {"error": "method not allowed"}})
        if request.path == "/api/v1/events":
            event = request.json()
            harness.check(
                bool(event.get("anonymous_id")) and bool(event.get("name")), 400, {"meta": {"error": "ids"}}
            )
            self._check_event(event)
            self.events.setdefault(event["id"], event)
            return harness.Reply(200, {})
        harness.check(request.path == "/api/v2/batch", 404, {"meta": {"error": "not found"}})
        harness.check(len(request.body) <= 500_000, 413, {"meta": {"error": "request entity too large"}})
        batch = request.json().get("batch")
        harness.check(
            isinstance(batch, list) and 0 < len(batch) <= 1000, 400, {"errors": [{"reason": "batch size"}]}
        )
        errors = []
        for index, entry in enumerate(batch):
            problem = self._apply(entry)
            if problem:
                errors.append(
                    {"batch_index": index, "reason": "invalid", "field": problem[0], "message": problem[1]}
                )
        return harness.Reply(207, {"errors": errors}) if errors else harness.Reply(200, {})

    def _check_event(self, event: dict[str, Any]) -> None:
        harness.check(
            isinstance(event.get("timestamp"), int) and event["timestamp"] < 10**11,
            400,
            {"meta": {"error": "ts"}},
        )
        harness.check(bool(ULID.match(str(event.get("id")))), 400, {"meta": {"error": "id must be a ULID"}})

    def _apply(self, entry: dict[str, Any]) -> tuple[str, str] | None:
        action = entry.get("action")
        if entry.get("type") == "object":
            ids = entry.get("identifiers", {})
            if not ids.get("object_type_id") or not ids.get("object_id"):
                return ("identifiers", "object_type_id and object_id are required")
            self.objects[ids["object_id"]] = entry
            return None
        if action == "merge":
            self.merges.append((entry["primary"]["id"], entry["secondary"]["id"]))
            return None
        if not entry.get("identifiers"):
            return ("identifiers", "identifiers is required")
        for value in (entry.get("attributes") or {}).values():
            if isinstance(value, str) and len(value.encode()) > 1000:
                return ("attributes", "attribute values are limited to 1000 bytes")
        if action == "identify":
            self.people[str(entry["identifiers"])] = entry
        elif action in ("event", "page", "screen"):
            if not entry.get("name") or not isinstance(entry.get("timestamp"), int):
                return ("name", "name and timestamp (unix seconds) are required")
            if not ULID.match(str(entry.get("id"))):
                return ("id", "id must be a ULID")
            self.events.setdefault(entry["id"], entry)
        elif action == "add_device":
            self.devices.append(entry["device"])
        elif action == "delete_device":
            self.devices = [d for d in self.devices if d["token"] != entry["device"]["token"]]
        else:
            return ("action", f"unknown action {action}")
        return None


SPEC = harness.VendorSpec(
    CustomerIo,
    {"siteID": SITE_ID, "apiKey": API_KEY},
    {},
    CustomerIoStore,
    harness.ErrorContract(
        throttled=harness.Reply(429, "", {"Retry-After": "2"}),
        retry_after=2,
        too_large=harness.Reply(413, {"meta": {}}),
        credential="apiKey",
        wrong_value="revoked-key-9999",
        denied_says="Unauthorized",
    ),
)


def test_every_call_type_is_accepted(vendor: CustomerIo, contract: CustomerIoStore, messages) -> None:
    anonymous = make("track", 2, userId=None, context={})
    delivery = harness.deliver(vendor, [*messages.values(), anonymous])
    assert delivery.outcomes == ["success", "success"] and not delivery.skipped
    person = contract.people[str({"id": "u_123"})]
    assert (
        person["attributes"]["created_at"] == 1735787045
        and person["attributes"]["anonymous_id"] == "a_9f1b2c"
    )
    names = {e["name"]: e for e in contract.events.values()}
    assert names["Order Completed"]["timestamp"] == int(TIMESTAMP.timestamp())
    assert names["https://shop.example.com/checkout"]["action"] == "page"
    assert names["Cart"]["action"] == "screen"
    assert "anonymous_id" in next(e for e in contract.events.values() if e.get("anonymous_id"))
    assert contract.objects["g_77"]["cio_relationships"] == [{"identifiers": {"id": "u_123"}}]
    assert contract.merges == [("u_123", "a_9f1b2c")]


def test_event_ids_are_stable_ulids_so_redelivery_dedupes(
    vendor: CustomerIo, contract: CustomerIoStore
) -> None:
    assert ulid("m-1", TIMESTAMP) == ulid("m-1", TIMESTAMP) != ulid("m-2", TIMESTAMP)
    harness.deliver(vendor, [make("track")])
    harness.deliver(vendor, [make("track")])
    assert len(contract.events) == 1


def test_app_open_with_push_token_registers_the_device(vendor: CustomerIo, contract: CustomerIoStore) -> None:
    message = make("track", event="Application Opened")
    message["context"]["device"]["token"] = "apns-token-1"
    harness.deliver(vendor, [message])
    assert contract.devices == [
        {"token": "apns-token-1", "platform": "ios", "last_used": int(TIMESTAMP.timestamp())}
    ]


def test_multi_status_fails_only_the_named_entries(vendor: CustomerIo) -> None:
    oversized = make("identify", 2)
    oversized["traits"]["bio"] = "x" * 1500
    delivery = harness.deliver(vendor, [make("identify"), oversized, make("track")])
    (_, _, classification) = delivery.results[0]
    assert classification.outcome is Outcome.PARTIAL and list(classification.failed) == [1]
    assert "1000 bytes" in classification.failed[1] and not classification.retry_failed


def test_an_identify_without_identity_is_invalid(vendor: CustomerIo, receiver: harness.Receiver) -> None:
    with pytest.raises(InvalidMessage, match="userId or traits"):
        vendor.transform(make("identify", userId=None, traits={}))


def test_batch_limit_is_customer_ios(vendor: CustomerIo, receiver: harness.Receiver) -> None:
    harness.assert_batch_limit(vendor, receiver, [make("page", n) for n in range(1001)], "batch")


def test_uninstall_removes_the_device(vendor: CustomerIo, contract: CustomerIoStore) -> None:
    opened, removed = (
        make("track", 1, event="Application Opened"),
        make("track", 2, event="Application Uninstalled"),
    )
    for message in (opened, removed):
        message["context"]["device"]["token"] = "apns-token-1"
    harness.deliver(vendor, [opened])
    assert len(contract.devices) == 1
    harness.deliver(vendor, [removed])
    assert contract.devices == []
