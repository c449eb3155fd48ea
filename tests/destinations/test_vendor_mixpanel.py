"""Mixpanel against a receiver enforcing the /import, /engage and /groups contracts."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

from eventyard.destinations.vendors._message import basic_auth
from eventyard.destinations.vendors.mixpanel import Mixpanel
from tests.destinations.drive import run_engine
from tests.destinations.pipeline import message
from tests.destinations.receivers import Received, Reply, VendorReceiver, check, running

TOKEN = "mp-token-a1b2c3d4e5f6"
INSERT_ID = re.compile(r"^[A-Za-z0-9_-]{1,36}$")
KINDS = ("track", "identify", "page", "screen", "group", "alias")


def mixpanel_contract(request: Received) -> Reply:
    """/import (Basic auth, strict=1, per-record failures), /engage and /groups (verbose)."""
    check(request.method == "POST", 405, {"error": "method"})
    body = request.json()
    check(isinstance(body, list), 400, {"error": "data must be a list"})
    if request.path == "/import":
        return _import(request, body)
    check(request.arg("verbose") == "1", 400, "verbose expected")
    limit = 200 if request.path == "/groups" else 2000
    check(len(body) <= limit, 413, {"error": "too many updates"})
    for update in body:
        if update.get("$token") != TOKEN:
            return Reply(200, {"status": 0, "error": "token, missing or empty"})
        if request.path == "/engage":
            check(bool(update.get("$distinct_id")), 200, {"status": 0, "error": "$distinct_id missing"})
        else:
            check(bool(update.get("$group_key")) and bool(update.get("$group_id")), 400, "group")
    return Reply(200, {"status": 1, "error": None}, accepted_keys=[])


def _import(request: Received, events: list[dict]) -> Reply:
    unauthorized = {"code": 401, "error": "Invalid credentials", "status": "Unauthorized"}
    check(request.headers.get("authorization") == basic_auth(TOKEN), 401, unauthorized)
    check(request.arg("strict") == "1", 400, {"error": "strict mode expected in this test"})
    check(len(events) <= 2000 and len(request.body) <= 10_000_000, 413, {"error": "request too large"})
    now_ms = time.time() * 1000
    failed = []
    for index, event in enumerate(events):
        props = event.get("properties") or {}
        problems = [
            ("event", "event name is required") if not event.get("event") else None,
            ("properties.time", "'properties.time' is invalid: must not be in the future")
            if not isinstance(props.get("time"), int) or props["time"] > now_ms + 3_600_000
            else None,
            ("properties.distinct_id", "missing") if not props.get("distinct_id") else None,
            ("properties.$insert_id", "invalid")
            if not INSERT_ID.match(str(props.get("$insert_id")))
            else None,
        ]
        problem = next((p for p in problems if p), None)
        if problem:
            failed.append(
                {
                    "index": index,
                    "$insert_id": props.get("$insert_id"),
                    "field": problem[0],
                    "message": problem[1],
                }
            )
    imported = [
        e["properties"]["$insert_id"] for i, e in enumerate(events) if i not in {f["index"] for f in failed}
    ]
    if failed:
        body = {
            "code": 400,
            "error": "some data points in the request failed validation",
            "failed_records": failed,
            "num_records_imported": len(imported),
            "status": "Bad Request",
        }
        return Reply(400, body, accepted_keys=imported)
    return Reply(
        200, {"code": 200, "num_records_imported": len(imported), "status": "OK"}, accepted_keys=imported
    )


@pytest.fixture
def receiver() -> Iterator[VendorReceiver]:
    with running(mixpanel_contract) as receiver:
        yield receiver


def mixpanel(receiver: VendorReceiver, **config: object) -> Mixpanel:
    vendor = Mixpanel({"token": TOKEN, "dataResidency": "eu"}, config)
    assert vendor.base_url == "https://api-eu.mixpanel.com"
    vendor.base_url = receiver.url
    return vendor


def test_every_call_type_is_accepted_with_original_merge(receiver: VendorReceiver) -> None:
    messages = [message(kind, i) for i, kind in enumerate(KINDS)]
    config = {
        "people": True,
        "identityMergeApi": "original",
        "groupKeySettings": [{"groupKey": "company_id"}],
    }
    run = run_engine(mixpanel(receiver, **config), messages)
    assert set(run.statuses().values()) == {"delivered"} and receiver.violations == []
    events = {e["event"]: e["properties"] for r in receiver.accepted if r.path == "/import" for e in r.json()}
    assert set(events) == {
        "Order Completed",
        "Viewed Checkout Page",
        "Viewed Checkout Screen",
        "$create_alias",
    }
    order = events["Order Completed"]
    assert order["distinct_id"] == "user-0000" and order["$insert_id"] == "msg-track-000000"
    assert order["$device_id"] == "anon-0000" and order["ip"] == "203.0.113.7" and order["revenue"] == 42.5
    assert (
        events["$create_alias"]["distinct_id"] == "anon-0005"
        and events["$create_alias"]["alias"] == "user-0005"
    )
    engage = [u for r in receiver.accepted if r.path == "/engage" for u in r.json()]
    assert engage[0]["$set"]["$email"] == "user1@example.com"
    assert engage[1]["$union"] == {"company_id": ["g_4"]}
    (group,) = [u for r in receiver.accepted if r.path == "/groups" for u in r.json()]
    assert (
        group["$group_key"] == "company_id"
        and group["$group_id"] == "g_4"
        and group["$set"]["name"] == "Acme"
    )


def test_simplified_merge_skips_alias_and_profiles_off_skips_identify(receiver: VendorReceiver) -> None:
    long_id = "x" * 14 + "-0123456789abcdef0123456789abcdef01"
    messages = [
        message("alias", 1),
        message("identify", 2),
        message("track", 3, messageId=long_id, userId=None),
    ]
    run = run_engine(mixpanel(receiver), messages)
    assert run.statuses() == {
        "msg-alias-000001": "skipped",
        "msg-identify-000002": "skipped",
        long_id: "delivered",
    }
    (event,) = receiver.accepted[0].json()
    assert event["properties"]["$insert_id"] == long_id[-36:] and len(event["properties"]["$insert_id"]) == 36
    assert event["properties"]["distinct_id"] == "$device:anon-0003" and "$user_id" not in event["properties"]


def test_failed_records_are_dropped_and_not_resent(receiver: VendorReceiver) -> None:
    messages = [
        message("track", 1),
        message("track", 2, timestamp="2999-01-01T00:00:00Z"),
        message("track", 3),
    ]
    run = run_engine(mixpanel(receiver), messages)
    assert run.statuses() == {
        "msg-track-000001": "delivered",
        "msg-track-000002": "dead",
        "msg-track-000003": "delivered",
    }
    assert "properties.time" in run.results["msg-track-000002"].error
    assert len(receiver.rejected) == 1 and receiver.duplicates() == {}  # the valid ones were not resent


def test_bad_token_drops_with_redacted_errors(receiver: VendorReceiver) -> None:
    vendor = Mixpanel({"token": "wrong-token-999"}, {"people": True})
    vendor.base_url = receiver.url
    run = run_engine(vendor, [message("track", 1), message("identify", 2)])
    assert run.statuses() == {"msg-track-000001": "dead", "msg-identify-000002": "dead"}
    assert "HTTP 401" in run.results["msg-track-000001"].error
    assert "Mixpanel refused" in run.results["msg-identify-000002"].error
    assert all("wrong-token-999" not in r.error for r in run.results.values())


def test_throttling_and_server_errors_retry(receiver: VendorReceiver) -> None:
    receiver.faults.append(Reply(429, {"error": "rate limit exceeded"}, {"Retry-After": "0.05"}))
    receiver.faults.append(Reply(503, {"error": "unavailable"}))
    run = run_engine(mixpanel(receiver), [message("track", 1)])
    assert run.statuses() == {"msg-track-000001": "delivered"} and run.stats.retried_records == 2
    assert receiver.deliveries["msg-track-000001"] == 1
