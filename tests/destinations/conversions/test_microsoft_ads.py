"""Microsoft UET Conversions API against a receiver enforcing its contract, through the engine."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from eventyard.destinations.base import InvalidMessage
from eventyard.destinations.vendors.microsoft_ads import MicrosoftAds
from tests.destinations.conversions.helpers import E164_PHONE, HEX64, NORMALIZED_EMAIL, conversion, sha
from tests.destinations.drive import run_engine
from tests.destinations.receivers import Received, Reply, VendorReceiver, check, running
from tests.destinations.vendors import harness
from tests.destinations.vendors.conftest import NOW

TAG, TOKEN = "187012345", "uet-capi-token-7f"
MSCLKID = "cdd4afcccb1c9a4cad9544dd7e5006d5"


class UetApi:
    """Bearer token, ≤1,000 events, eventType pageLoad|custom, seconds ≤ 7 days old, hashed em/ph;
    with continueOnValidationError the valid events are kept and the others listed by index."""

    def __init__(self) -> None:
        self.events: dict[str, dict[str, Any]] = {}

    def __call__(self, request: Received) -> Reply:
        check(
            request.path == f"/v1/{TAG}/events",
            404,
            {"error": {"code": "NotFound", "message": "Unknown tag"}},
        )
        check(request.headers.get("authorization") == f"Bearer {TOKEN}", 401,
              {"error": {"code": "Unauthorized", "message": "Invalid access token"}})  # fmt: skip
        body = request.json()
        data = body.get("data")
        too_many = {"error": {"code": "InvalidRequest", "message": "data must hold 1 to 1000 events"}}
        check(isinstance(data, list) and 0 < len(data) <= 1000, 400, too_many)
        details = []
        for index, event in enumerate(data):
            problem = self._problem(event)
            if problem:
                details.append({"index": index, "propertyName": problem[0], "errorMessage": problem[1],
                                "errorCode": "InvalidValue", "isWarning": False})  # fmt: skip
            else:
                self.events[event["eventId"]] = event
        if details and not body.get("continueOnValidationError"):
            return Reply(
                400, {"error": {"code": "InvalidEvents", "message": "Validation failed", "details": details}}
            )
        reply: dict[str, Any] = {"eventsReceived": len(data) - len(details)}
        if details:
            reply["error"] = {"code": "PartialSuccess", "message": "Some events failed", "details": details}
        return Reply(200, reply)

    def _problem(self, event: dict[str, Any]) -> tuple[str, str] | None:
        if event.get("eventType") not in ("pageLoad", "custom") or not event.get("eventId"):
            return "eventType", "eventType must be pageLoad or custom, with an eventId"
        when = event.get("eventTime")
        if not isinstance(when, int) or not time.time() - 7 * 86400 < when <= time.time() + 60:
            return "eventTime", "eventTime must be unix seconds within the last 7 days"
        if event["eventType"] == "custom" and not event.get("eventName"):
            return "eventName", "custom events need an eventName"
        if event["eventType"] == "pageLoad" and not event.get("eventSourceUrl"):
            return "eventSourceUrl", "pageLoad events need eventSourceUrl"
        user = event.get("userData") or {}
        if not user:
            return "userData", "at least one user identifier is required"
        if any(k in user and not HEX64.match(user[k]) for k in ("em", "ph")):
            return "userData.em", "em and ph must be SHA-256 hashes"
        if event.get("adStorageConsent") not in (None, "G", "D"):
            return "adStorageConsent", "G or D"
        return None


@pytest.fixture
def uet() -> Iterator[tuple[UetApi, VendorReceiver]]:
    api = UetApi()
    with running(api) as receiver:
        yield api, receiver


def vendor(receiver: VendorReceiver, **config: Any) -> MicrosoftAds:
    integration = MicrosoftAds({"uetTag": TAG, "apiToken": TOKEN}, {"adStorageConsent": "G", **config})
    integration.base_url = receiver.url
    return integration


def test_page_and_track_are_accepted_and_the_rest_skipped_with_reasons(uet) -> None:
    api, receiver = uet
    kinds = ("track", "identify", "page", "screen", "group", "alias")
    messages = [conversion(kind, click_ids={"msclkid": MSCLKID}) for kind in kinds]
    integration = vendor(receiver, eventNameMapping={"Order Completed": "purchase"})
    run = run_engine(integration, messages)
    assert {k for k, v in run.statuses().items() if v == "delivered"} == {"m-track-1", "m-page-1"}
    assert set(run.skipped) == {f"m-{kind}-1" for kind in ("identify", "screen", "group", "alias")}
    purchase, page = api.events["m-track-1"], api.events["m-page-1"]
    assert purchase["eventName"] == "purchase" and purchase["eventType"] == "custom"
    user = purchase["userData"]
    assert (user["em"], user["ph"], user["msclkid"]) == (sha(NORMALIZED_EMAIL), sha(E164_PHONE), MSCLKID)
    assert user["clientIpAddress"] == "203.0.113.7" and user["externalId"] == sha("u_123")
    assert purchase["customData"] == {
        "value": 42.5,
        "currency": "USD",
        "transactionId": "o_55",
        "itemIds": ["sku_1"],
    }
    assert page["eventType"] == "pageLoad" and page["eventSourceUrl"] == "https://shop.example.com/checkout"
    assert receiver.accepted[0].json()["continueOnValidationError"] is True and receiver.violations == []


def test_invalid_events_are_dead_lettered_alone(uet) -> None:
    api, receiver = uet
    messages = [conversion(number=n) for n in range(4)]
    integration = vendor(receiver)
    records = [r for message in messages for r in integration.transform(message)]
    records[1].payload["eventTime"] = int((NOW - timedelta(days=9)).timestamp())  # what Microsoft refuses
    from tests.destinations.vendors.harness import send

    verdict = integration.classify(send(integration, "default", records), records)
    assert verdict.outcome == "partial" and list(verdict.failed) == [1] and "eventTime" in verdict.failed[1]
    assert sorted(api.events) == ["m-track-0", "m-track-2", "m-track-3"]
    with pytest.raises(InvalidMessage, match="older than 7 days"):
        integration.transform(conversion(timestamp=(NOW - timedelta(days=8)).isoformat()))


def test_throttling_waits_and_the_batch_limit_is_microsofts(uet) -> None:
    receiver = uet[1]
    receiver.faults.append(
        Reply(429, {"error": {"code": "TooManyRequests", "message": "slow down"}}, {"Retry-After": "0"})
    )
    run = run_engine(vendor(receiver), [conversion(number=n) for n in range(3)])
    assert set(run.statuses().values()) == {"delivered"} and run.stats.retried_records == 3
    harness.assert_batch_limit(
        vendor(receiver), receiver, [conversion("page", n) for n in range(1001)], "default"
    )
    wrong = MicrosoftAds({"uetTag": TAG, "apiToken": "wrong-token-99"}, {})
    wrong.base_url = receiver.url
    denied = run_engine(wrong, [conversion()])
    assert denied.statuses() == {"m-track-1": "dead"}
