"""Intercom against a receiver enforcing the users upsert (1.4) and events (2.x) contracts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from eventyard.destinations.base import InvalidMessage, Outcome
from eventyard.destinations.vendors.intercom import Intercom
from tests.destinations.vendors.conftest import TIMESTAMP, make
from tests.destinations.vendors.harness import Received, Receiver, Reply, check, deliver, fault, running, send

TOKEN = "dG9rOmludGVyY29tLXRva2Vu"


def error_list(code: str, message: str) -> dict[str, Any]:
    return {
        "type": "error.list",
        "request_id": "000on04o5h6aue5i2ghg",
        "errors": [{"code": code, "message": message}],
    }


def _flat_value(value: Any) -> bool:
    if isinstance(value, dict):
        return set(value) in ({"amount", "currency"}, {"url", "value"})
    return not isinstance(value, list) and (not isinstance(value, str) or len(value) <= 255)


class Workspace:
    """An Intercom workspace: users by user_id (with companies) and their events."""

    def __init__(self) -> None:
        self.users: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []

    def __call__(self, request: Received) -> Reply:
        check(
            request.headers.get("authorization") == f"Bearer {TOKEN}",
            401,
            error_list("unauthorized", "Access Token Invalid"),
        )
        check(
            request.headers.get("accept") == "application/json",
            406,
            error_list("not_acceptable", "Accept header"),
        )
        body = request.json()
        version = request.headers.get("intercom-version", "")
        if request.path == "/users":
            check(
                version.startswith("1."),
                400,
                error_list("intercom_version_invalid", "users upsert needs 1.x"),
            )
            key = body.get("user_id") or body.get("email")
            check(bool(key), 400, error_list("parameter_not_found", "user_id or email is required"))
            custom = body.get("custom_attributes", {})
            check(
                all(_flat_value(v) and not isinstance(v, dict) for v in custom.values()),
                400,
                error_list("parameter_invalid", "custom attributes must be flat"),
            )
            user = self.users.setdefault(key, {"companies": []})
            user.update({k: v for k, v in body.items() if k != "companies"})
            user["companies"].extend(body.get("companies", []))
            return Reply(200, {"type": "user", "id": "5f1", **body})
        check(request.path == "/events", 404, error_list("not_found", "Resource Not Found"))
        check(
            isinstance(body.get("created_at"), int) and body["created_at"] < 10**11,
            400,
            error_list("parameter_invalid", "created_at must be unix seconds"),
        )
        check(bool(body.get("event_name")), 400, error_list("parameter_not_found", "event_name is required"))
        metadata = body.get("metadata", {})
        check(
            len(metadata) <= 20 and all(_flat_value(v) for v in metadata.values()),
            400,
            error_list("parameter_invalid", "metadata: 20 flat keys at most"),
        )
        check(
            (body.get("user_id") or body.get("email")) in self.users,
            404,
            error_list("not_found", "User Not Found"),
        )
        self.events.append(body)
        return Reply(202, b"")


@pytest.fixture
def workspace() -> Workspace:
    return Workspace()


@pytest.fixture
def receiver(workspace: Workspace) -> Iterator[Receiver]:
    with running(workspace) as receiver:
        yield receiver


@pytest.fixture
def intercom(receiver: Receiver) -> Intercom:
    integration = Intercom({"apiKey": TOKEN, "apiServer": "EU"}, {})
    integration.base_url = receiver.url
    return integration


def test_identify_group_then_track_accepted(intercom: Intercom, workspace: Workspace, messages) -> None:
    ordered = [messages[k] for k in ("identify", "group", "track", "page", "screen", "alias")]
    delivery = deliver(intercom, ordered)
    assert delivery.outcomes == ["success"] * 3
    assert set(delivery.skipped) == {"m-page-1", "m-screen-1", "m-alias-1"}
    user = workspace.users["u_123"]
    assert (
        user["email"].lower() == "jo@example.com"
        and user["name"] == "Jo Doe"
        and user["signed_up_at"] == 1735787045
    )
    assert user["custom_attributes"] == {"plan": "pro", "address_city": "Paris", "address_country": "FR"}
    assert user["companies"] == [
        {"company_id": "g_77", "name": "Acme Inc", "plan": "enterprise", "size": 120, "website": "acme.io"}
    ]
    (event,) = workspace.events
    assert event["created_at"] == int(TIMESTAMP.timestamp())
    assert event["metadata"]["price"] == {"amount": 4250, "currency": "usd"}
    assert event["metadata"]["shipping_method"] == "express"


def test_metadata_is_kept_within_intercoms_limits(intercom: Intercom) -> None:
    props = {f"key{n}": "v" * 300 for n in range(30)}
    (record,) = intercom.transform(make("track", properties=props))
    assert len(record.payload["metadata"]) == 20
    assert all(len(v) == 255 for v in record.payload["metadata"].values())


def test_event_for_an_unknown_user_is_retried_not_dropped(intercom: Intercom, workspace: Workspace) -> None:
    first = deliver(intercom, [make("track")]).results[0][2]
    assert first.outcome is Outcome.RETRY and "User Not Found" in first.error
    deliver(intercom, [make("identify")])
    assert deliver(intercom, [make("track")]).outcomes == ["success"]


def test_identity_rules(intercom: Intercom) -> None:
    anonymous = make("track", userId=None, context={})
    with pytest.raises(InvalidMessage, match=r"userId or traits\.email"):
        intercom.transform(anonymous)
    intercom.config["sendAnonymousId"] = True
    assert intercom.transform(anonymous)[0].payload["user_id"] == "a_9f1b2c"


def test_rate_limit_and_auth(intercom: Intercom, receiver: Receiver) -> None:
    records = intercom.transform(make("identify"))
    reset = str(int(time.time()) + 10)
    throttled = fault(
        intercom,
        receiver,
        Reply(429, error_list("rate_limit_exceeded", "Exceeded rate limit"), {"X-RateLimit-Reset": reset}),
        records,
    )
    assert throttled.outcome is Outcome.RETRY and 0 < (throttled.retry_after or 0) <= 11
    assert fault(intercom, receiver, Reply(503, "unavailable"), records).outcome is Outcome.RETRY
    intercom.connection["apiKey"] = "dG9rOnJldm9rZWQ="
    denied = intercom.classify(send(intercom, "users", records), records)
    assert denied.outcome is Outcome.DROP and "unauthorized" in denied.error
    assert "dG9rOnJldm9rZWQ=" not in intercom.redact(str(intercom.build_request("users", records).headers))


def test_last_seen_is_updated_only_when_configured(intercom: Intercom) -> None:
    (record,) = intercom.transform(make("identify"))
    assert record.payload["last_request_at"] == int(TIMESTAMP.timestamp())
    intercom.config["updateLastRequestAt"] = False
    (record,) = intercom.transform(make("identify"))
    assert "last_request_at" not in record.payload
