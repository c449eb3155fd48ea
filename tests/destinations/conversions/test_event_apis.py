"""The Trade Desk real-time conversions, Optimizely's Event API and Criteo's S2S events against
receivers enforcing their contracts, through the engine."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from eventyard.destinations.vendors.acquisio import TheTradeDesk
from eventyard.destinations.vendors.criteo import Criteo
from eventyard.destinations.vendors.optimizely import Optimizely
from tests.destinations.conversions.helpers import HEX64, NORMALIZED_EMAIL, conversion, sha
from tests.destinations.drive import run_engine
from tests.destinations.receivers import Received, Reply, VendorReceiver, check, running
from tests.destinations.vendors import harness


def ttd_contract(request: Received) -> Reply:
    """No auth; known advertiser and tracker (402 otherwise); value a decimal string; currency
    with a purchase; an id or the page URL."""
    check(request.path == "/track/realtimeconversion", 404, "Not Found")
    data = request.json().get("data") or []
    check(0 < len(data) <= 500, 400, "1 to 500 records")
    for record in data:
        check(
            record.get("adv") == "abcd123" and record.get("tracker_id") in ("trk-1", "trk-lead"),
            402,
            "Payment Required",
        )
        check(bool(record.get("event_name")), 400, "event_name required")
        check(
            "value" not in record or re.fullmatch(r"\d+\.\d{2}", record["value"]) is not None,
            400,
            "value must be a decimal string",
        )
        check(
            record["event_name"] != "Order Completed" or len(record.get("currency", "")) == 3,
            400,
            "currency required",
        )
        check(
            bool(record.get("referrer_url") or record.get("tdid") or record.get("adid")),
            400,
            "an identifier is required",
        )
    return Reply(200, "")


def ttd_keys(request: Received) -> list[str]:
    return [r.get("order_id") or r["td1"] for r in request.json()["data"]]


@pytest.fixture
def ttd() -> Iterator[VendorReceiver]:
    with running(ttd_contract, keys=ttd_keys) as receiver:
        yield receiver


def test_the_trade_desk(ttd: VendorReceiver) -> None:
    integration = TheTradeDesk(
        {"advertiserId": "abcd123"}, {"trackerId": "trk-1", "eventTagIds": {"Lead": "trk-lead"}}
    )
    integration.base_url = ttd.url
    messages = [
        conversion(click_ids={"tdid": "ttd-uuid-1"}),
        conversion("page", 2),
        conversion(number=3, event="Lead", properties={}),
        conversion("identify", 4),
    ]
    run = run_engine(integration, messages)
    assert run.statuses() == {
        "m-track-1": "delivered",
        "m-page-2": "delivered",
        "m-track-3": "delivered",
        "m-identify-4": "skipped",
    }
    records = {r["td1"]: r for req in ttd.accepted for r in req.json()["data"]}
    assert records["m-track-1"]["value"] == "42.50" and records["m-track-1"]["order_id"] == "o_55"
    assert records["m-track-1"]["tdid"] == "ttd-uuid-1" and records["m-page-2"]["event_name"] == "sitevisit"
    assert records["m-track-3"]["tracker_id"] == "trk-lead" and ttd.duplicates() == {}
    unknown = TheTradeDesk({"advertiserId": "nope999"}, {"trackerId": "trk-1"})
    unknown.base_url = ttd.url
    dead = run_engine(unknown, [conversion(number=9)])
    assert dead.statuses() == {"m-track-9": "dead"} and "402" in dead.results["m-track-9"].error
    harness.assert_batch_limit(integration, ttd, [conversion("page", n) for n in range(501)], "default")


class OptimizelyEvents:
    """account_id, visitors with snapshots, numeric entity ids, ms timestamps, uuid, integer
    revenue in cents; 204 No Content on success."""

    def __init__(self) -> None:
        self.events: dict[str, dict[str, Any]] = {}

    def __call__(self, request: Received) -> Reply:
        check(request.path == "/v1/events", 404, {"error": "not found"})
        body = request.json()
        check(body.get("account_id") == "8801", 400, {"error": "Invalid account_id"})
        for visitor in body.get("visitors") or []:
            check(bool(visitor.get("visitor_id")), 400, {"error": "visitor_id required"})
            for snapshot in visitor.get("snapshots") or []:
                for event in snapshot.get("events") or []:
                    check(
                        str(event.get("entity_id")).isdigit() and bool(event.get("uuid")),
                        400,
                        {"error": "entity_id and uuid"},
                    )
                    check(
                        isinstance(event.get("timestamp"), int)
                        and event["timestamp"] > time.time() * 1000 - 86400e3 * 30,
                        400,
                        {"error": "ms"},
                    )
                    check(
                        isinstance(event.get("revenue", 0), int),
                        400,
                        {"error": "revenue must be an integer in cents"},
                    )
                    self.events[event["uuid"]] = {**event, "visitor_id": visitor["visitor_id"]}
        return Reply(204, b"")


def test_optimizely() -> None:
    api = OptimizelyEvents()
    with running(api) as receiver:
        integration = Optimizely(
            {"accountId": "8801", "projectID": "123"}, {"eventsMapping": {"Order Completed": "15007"}}
        )
        integration.base_url = receiver.url
        first = conversion(integrations={"Optimizely": {"visitorId": "oeu1700.123"}})
        first["properties"]["email"] = "someone@example.com"
        run = run_engine(
            integration,
            [first, conversion(number=2), conversion(number=3, event="Other"), conversion("page", 4)],
        )
        assert run.statuses() == {
            "m-track-1": "delivered",
            "m-track-2": "delivered",
            "m-track-3": "skipped",
            "m-page-4": "skipped",
        }
        event = api.events["m-track-1"]
        assert (event["entity_id"], event["key"], event["revenue"], event["visitor_id"]) == (
            "15007",
            "Order Completed",
            4250,
            "oeu1700.123",
        )
        assert api.events["m-track-2"]["visitor_id"] == "u_123" and "email" not in event["tags"]
        receiver.faults.append(Reply(429, {"error": "rate limited"}, {"Retry-After": "0"}))
        again = run_engine(integration, [conversion(number=5)])
        assert again.statuses() == {"m-track-5": "delivered"} and again.stats.retried_records == 1


class CriteoEvents:
    """account + caller id + GUM id, one user per request, Criteo event names, hashed emails only."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    def __call__(self, request: Received) -> Reply:
        check(request.path == "/m/event" and request.arg("version") == "s2s_v0", 404, "Not Found")
        body = request.json()
        ids = body.get("id") or {}
        check(
            body.get("account") == "55011" and ids.get("mapping_key") == "caller-9",
            400,
            {"error": "unknown account or caller"},
        )
        check(bool(ids.get("mapped_user_id")), 400, {"error": "mapped_user_id required"})
        email = ids.get("email") or {}
        check(
            set(email) <= {"md5", "sha256", "sha256_md5"}
            and all(re.fullmatch(r"[0-9a-f]{32}|[0-9a-f]{64}", v) for v in email.values()),
            400,
            {"error": "email must be hashed"},
        )
        known = {
            "viewPage",
            "viewItem",
            "viewList",
            "addToCart",
            "viewBasket",
            "beginCheckout",
            "trackTransaction",
        }
        check(all(e.get("event") in known for e in body.get("events") or []), 400, {"error": "unknown event"})
        self.requests.append(body)
        return Reply(200, {"status": "ok"})


def test_criteo() -> None:
    api = CriteoEvents()
    with running(api) as receiver:
        integration = Criteo({"accountId": "55011", "callerId": "caller-9"}, {"siteType": "m"})
        integration.base_url = receiver.url
        gum = {"crto_mapped_user_id": "gum-abc"}
        messages = [
            conversion(click_ids=gum),
            conversion("page", 2, click_ids=gum),
            conversion(number=3),
            conversion(number=4, event="Signed Up", click_ids=gum),
        ]
        run = run_engine(integration, messages)
        assert run.statuses() == {
            "m-track-1": "delivered",
            "m-page-2": "delivered",
            "m-track-3": "skipped",
            "m-track-4": "skipped",
        }
        assert "GUM" in run.skipped["m-track-3"] and "no Criteo equivalent" in run.skipped["m-track-4"]
        purchase = next(r for r in api.requests if r["events"][0]["event"] == "trackTransaction")
        assert purchase["events"][0] == {
            "event": "trackTransaction",
            "timestamp": purchase["events"][0]["timestamp"],
            "id": "o_55",
            "currency": "USD",
            "item": [{"id": "sku_1", "price": 42.5, "quantity": 1}],
        }
        email = purchase["id"]["email"]
        assert (
            email["sha256"] == sha(NORMALIZED_EMAIL)
            and HEX64.match(email["sha256_md5"])
            and purchase["site_type"] == "m"
        )
        assert run.stats.requests == 2  # one user per request
