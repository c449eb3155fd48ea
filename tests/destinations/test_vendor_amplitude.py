"""Amplitude against a receiver enforcing the HTTP V2, Group Identify and User Mapping contracts."""

from __future__ import annotations

import time
from collections.abc import Iterator

import orjson
import pytest

from eventyard.destinations.base import HttpResponse, Outcome
from eventyard.destinations.vendors.amplitude import Amplitude
from tests.destinations.drive import run_engine
from tests.destinations.pipeline import message
from tests.destinations.receivers import Received, Reply, VendorReceiver, check, reject, running

API_KEY = "amp-key-0f9e8d7c6b5a"
KINDS = ("track", "identify", "page", "screen", "group", "alias")


def amplitude_contract(request: Received) -> Reply:
    """HTTP V2: api_key in the body, ≤2,000 events, <1 MB, event_type + user_id/device_id, ms time."""
    check(request.method == "POST", 405, {"code": 405, "error": "method not allowed"})
    if request.path in ("/groupidentify", "/usermap"):
        return _form_contract(request)
    check(request.path == "/2/httpapi", 404, {"code": 404, "error": "not found"})
    check(len(request.body) < 1_000_000, 413, {"code": 413, "error": "Payload too large"})
    body = request.json()
    check(
        body.get("api_key") == API_KEY,
        400,
        {"code": 400, "error": "Invalid API key: " + str(body.get("api_key"))},
    )
    events = body.get("events")
    check(isinstance(events, list) and 0 < len(events) <= 2000, 400, {"code": 400, "error": "bad events"})
    min_id = int((body.get("options") or {}).get("min_id_length", 5))
    missing: dict[str, list[int]] = {}
    invalid: dict[str, list[int]] = {}
    now_ms = time.time() * 1000
    for i, event in enumerate(events):
        if not event.get("event_type"):
            missing.setdefault("event_type", []).append(i)
        if not (event.get("user_id") or event.get("device_id")):
            missing.setdefault("user_id", []).append(i)
        for id_field in ("user_id", "device_id"):
            if id_field in event and len(str(event[id_field])) < min_id:
                invalid.setdefault(id_field, []).append(i)
        if not isinstance(event.get("time"), int) or not 1e12 < event["time"] < now_ms + 3_600_000:
            invalid.setdefault("time", []).append(i)
        if not isinstance(event.get("insert_id"), str):
            invalid.setdefault("insert_id", []).append(i)
        if event["event_type"] == "$identify":
            check("$set" in event.get("user_properties", {}) or "groups" in event, 400, {"error": "no $set"})
    if missing or invalid:
        error = {"code": 400, "error": "Request missing required field", "missing_field": "event_type"}
        reject(400, {**error, "events_with_missing_fields": missing, "events_with_invalid_fields": invalid})
    return Reply(
        200,
        {"code": 200, "events_ingested": len(events), "payload_size_bytes": len(request.body)},
        accepted_keys=[str(e["insert_id"]) for e in events],
    )


def _form_contract(request: Received) -> Reply:
    check(request.headers.get("content-type") == "application/x-www-form-urlencoded", 400, "form only")
    form = request.form()
    check(form.get("api_key") == API_KEY, 400, "invalid_api_key")
    if request.path == "/groupidentify":
        items = orjson.loads(form["identification"])
        check(all({"group_type", "group_value", "group_properties"} <= set(i) for i in items), 400, "missing")
    else:
        items = orjson.loads(form["mapping"])
        check(all(i.get("user_id") and i.get("global_user_id") for i in items), 400, "missing")
    return Reply(200, "success", accepted_keys=[])


@pytest.fixture
def receiver() -> Iterator[VendorReceiver]:
    with running(amplitude_contract) as receiver:
        yield receiver


def amplitude(receiver: VendorReceiver, **config: object) -> Amplitude:
    vendor = Amplitude({"apiKey": API_KEY, "residencyServer": "EU"}, config)
    assert vendor.base_url == "https://api.eu.amplitude.com"
    vendor.base_url = receiver.url
    return vendor


def test_every_call_type_is_accepted(receiver: VendorReceiver) -> None:
    messages = [message(kind, i) for i, kind in enumerate(KINDS)]
    run = run_engine(amplitude(receiver, groupTypeTrait="kind"), messages)
    assert set(run.statuses().values()) == {"delivered"} and receiver.violations == []
    events = [e for r in receiver.accepted if r.path == "/2/httpapi" for e in r.json()["events"]]
    by_type = {e["event_type"]: e for e in events}
    assert set(by_type) == {"Order Completed", "$identify", "Viewed Checkout Page", "Viewed Checkout Screen"}
    order = by_type["Order Completed"]
    assert order["insert_id"] == "msg-track-000000" and order["revenue"] == 42.5
    assert order["event_properties"]["order_id"] == "o_0" and order["ip"] == "203.0.113.7"
    identifies = [e for e in events if e["event_type"] == "$identify"]
    assert identifies[0]["user_properties"]["$set"]["plan"] == "pro"
    assert identifies[1]["groups"] == {"[Segment] Group": "g_4"}
    paths = sorted(r.path for r in receiver.accepted)
    assert paths == ["/2/httpapi", "/groupidentify", "/usermap"]
    mapping = orjson.loads(next(r for r in receiver.accepted if r.path == "/usermap").form()["mapping"])
    assert mapping == [{"user_id": "anon-0005", "global_user_id": "user-0005"}]


def test_invalid_events_are_dropped_and_the_rest_resent(receiver: VendorReceiver) -> None:
    future = message("track", 2, timestamp="2999-01-01T00:00:00Z")
    messages = [message("track", 1), future, message("track", 3)]
    run = run_engine(amplitude(receiver), messages)
    assert run.statuses() == {
        "msg-track-000001": "delivered",
        "msg-track-000002": "dead",
        "msg-track-000003": "delivered",
    }
    assert "events_with_invalid_fields: time" in run.results["msg-track-000002"].error
    assert sorted(receiver.deliveries) == ["msg-track-000001", "msg-track-000003"]


def test_throttling_waits_at_least_30_seconds_and_bad_keys_drop(receiver: VendorReceiver) -> None:
    receiver.faults.append(
        Reply(429, {"code": 429, "error": "Too many requests", "throttled_users": {"u": 31}})
    )
    run = run_engine(amplitude(receiver), [message("track", 1)])
    assert (
        run.results["msg-track-000001"].status == "retry" and run.results["msg-track-000001"].retry_in == 30
    )
    vendor = Amplitude({"apiKey": "wrong-key-123"}, {})
    vendor.base_url = receiver.url
    dropped = run_engine(vendor, [message("track", 2)]).results["msg-track-000002"]
    assert (
        dropped.status == "dead"
        and "Invalid API key" in dropped.error
        and "wrong-key-123" not in dropped.error
    )
    records = vendor.transform(message("track", 3))
    too_big = vendor.classify(HttpResponse(413, {}, b"too large"), records)
    assert too_big.outcome is Outcome.SPLIT
