"""GA4 Measurement Protocol (web and app streams) against a receiver enforcing GA4's limits.

GA4 itself answers 2xx even to malformed payloads; this receiver is stricter on purpose and
answers 400 with the debug endpoint's ``validationMessages`` body, so a violation fails the test.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from eventyard.destinations.vendors.google_analytics import RESERVED_EVENTS, GoogleAnalytics
from eventyard.destinations.vendors.google_firebase import GoogleFirebase
from tests.destinations.drive import run_engine
from tests.destinations.pipeline import message
from tests.destinations.receivers import Received, Reply, VendorReceiver, reject, running

SECRET = "ga4-secret/with+chars"
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
KINDS = ("track", "identify", "page", "screen", "group", "alias")


def invalid(description: str) -> None:
    reject(400, {"validationMessages": [{"description": description, "validationCode": "VALUE_INVALID"}]})


IGNORED: list[dict[str, object]] = []  # events GA4 answered 2xx for but did not count (per test)
ITEM_NUMBERS = ("price", "quantity", "index", "discount")


def ga4_contract(request: Received) -> Reply:
    """/mp/collect: api_secret + stream id in the query, one client per request, GA4's limits.

    Like GA4, events older than 72 hours are answered 2xx and ignored (kept in ``IGNORED``, not
    counted as accepted); items must name an id or a name and carry numbers as numbers."""
    if request.path not in ("/mp/collect", "/debug/mp/collect") or request.method != "POST":
        reject(404, "")
    if request.arg("api_secret") != SECRET:
        invalid("api_secret is invalid")
    app = request.arg("firebase_app_id")
    if not (request.arg("measurement_id") == "G-TEST123" or app == "1:123:android:abc"):
        invalid("measurement_id or firebase_app_id is required")
    if len(request.body) >= 130_000:
        invalid("payload too large")
    body = request.json()
    client = body.get("app_instance_id") if app else body.get("client_id")
    if not client:
        invalid("client_id / app_instance_id is required")
    events = body.get("events") or []
    if not 0 < len(events) <= 25:
        invalid("1 to 25 events per request")
    oldest = (time.time() - 72 * 3600) * 1_000_000
    for event in events:
        if not NAME.match(event.get("name", "")) or event["name"] in RESERVED_EVENTS:
            invalid(f"event name {event.get('name')!r} is invalid or reserved")
        params = event.get("params", {})
        if len(params) > 25 or any(not NAME.match(k) for k in params):
            invalid("too many or invalid params")
        if any(isinstance(v, str) and len(v) > 100 for v in params.values()):
            invalid("param value longer than 100 characters")
        for item in params.get("items") or []:
            if not (item.get("item_id") or item.get("item_name")):
                invalid("items need item_id or item_name")
            if any(k in item and not isinstance(item[k], int | float) for k in ITEM_NUMBERS):
                invalid(f"item numbers must be numbers: {item}")
    for name, prop in (body.get("user_properties") or {}).items():
        if len(name) > 24 or (isinstance(prop["value"], str) and len(prop["value"]) > 36):
            invalid("user property too long")
    if request.path.startswith("/debug"):
        return Reply(200, {"validationMessages": []}, accepted_keys=[])
    counted = [e for e in events if e.get("timestamp_micros", oldest + 1) >= oldest]
    IGNORED.extend(e for e in events if e not in counted)
    keys = [f"{client}:{e['params'].get('transaction_id') or e['name']}" for e in counted]
    return Reply(204, b"", accepted_keys=keys)


@pytest.fixture
def receiver() -> Iterator[VendorReceiver]:
    IGNORED.clear()
    with running(ga4_contract) as receiver:
        yield receiver


def ga4(receiver: VendorReceiver, **config: object) -> GoogleAnalytics:
    vendor = GoogleAnalytics({"measurementId": "G-TEST123", "apiSecret": SECRET}, config)
    vendor.base_url = receiver.url
    return vendor


def test_call_types_map_or_skip_as_documented(receiver: VendorReceiver) -> None:
    messages = [
        message(kind, i, anonymousId="1784922.1785585000", userId="u_1") for i, kind in enumerate(KINDS)
    ]
    run = run_engine(ga4(receiver), messages)
    assert run.statuses() == {
        "msg-track-000000": "delivered",
        "msg-identify-000001": "skipped",
        "msg-page-000002": "delivered",
        "msg-screen-000003": "skipped",
        "msg-group-000004": "delivered",
        "msg-alias-000005": "skipped",
    }
    assert receiver.violations == []
    # One client: one request, user_id at the top, the events' names and params mapped.
    (request,) = receiver.accepted
    body = request.json()
    assert body["client_id"] == "1784922.1785585000" and body["user_id"] == "u_1"
    purchase, page_view, join_group = body["events"]
    assert purchase["name"] == "purchase" and purchase["params"]["transaction_id"] == "o_0"
    assert purchase["params"]["value"] == 42.5 and purchase["params"]["currency"] == "USD"
    assert page_view["name"] == "page_view"
    assert page_view["params"]["page_location"] == "https://shop.example.com/checkout"
    assert join_group == {"name": "join_group", "params": {"group_id": "g_4", "engagement_time_msec": 1}} | {
        "timestamp_micros": join_group["timestamp_micros"]
    }


def test_requests_hold_one_client_and_at_most_25_events(receiver: VendorReceiver) -> None:
    messages = [
        message("track", i, anonymousId="client-a", userId="u_a", event=f"Clicked {i}") for i in range(30)
    ]
    messages += [message("track", 100, anonymousId="client-b", userId=None, event="Signed Up")]
    run = run_engine(ga4(receiver), messages)
    assert set(run.statuses().values()) == {"delivered"} and receiver.violations == []
    sizes = sorted((r.json().get("client_id"), len(r.json()["events"])) for r in receiver.accepted)
    assert sizes == [("client-a", 5), ("client-a", 25), ("client-b", 1)]
    names = {e["name"] for r in receiver.accepted for e in r.json()["events"]}
    assert "Clicked_7" in names and "sign_up" in names


def test_reserved_names_are_dead_lettered_and_debug_mode_validates(receiver: VendorReceiver) -> None:
    run = run_engine(
        ga4(receiver, debugMode=True), [message("track", 1, event="session_start"), message("page", 2)]
    )
    assert run.statuses() == {"msg-track-000001": "invalid", "msg-page-000002": "delivered"}
    assert receiver.accepted[0].path == "/debug/mp/collect"
    vendor = GoogleAnalytics(
        {"measurementId": "G-TEST123", "apiSecret": "wrong/secret+1"}, {"debugMode": True}
    )
    vendor.base_url = receiver.url
    dropped = run_engine(vendor, [message("page", 3)]).results["msg-page-000003"]
    assert dropped.status == "dead" and "api_secret is invalid" in dropped.error


def test_secrets_stay_out_of_network_errors() -> None:
    vendor = GoogleAnalytics({"measurementId": "G-TEST123", "apiSecret": SECRET}, {})
    vendor.base_url = "http://127.0.0.1:9"  # nothing listens on the discard port
    result = run_engine(vendor, [message("page", 1)]).results["msg-page-000001"]
    assert result.status == "retry" and "network error" in result.error
    assert "ga4-secret" not in result.error and "api_secret" not in result.error


def test_firebase_app_streams_need_the_app_instance_id(receiver: VendorReceiver) -> None:
    vendor = GoogleFirebase({"firebaseAppId": "1:123:android:abc", "apiSecret": SECRET}, {})
    vendor.base_url = receiver.url
    with_id = message("track", 1, context={"externalId": [{"type": "ga4AppInstanceId", "id": "cbd7f2aa"}]})
    via_options = message("page", 2, integrations={"Google Firebase": {"app_instance_id": "ee01ff"}})
    app_context = {"externalId": [{"type": "ga4AppInstanceId", "id": "cbd7f2aa"}]}
    others = [
        message(kind, i, context=app_context) for i, kind in ((5, "identify"), (6, "group"), (7, "alias"))
    ]
    run = run_engine(vendor, [with_id, via_options, message("track", 3), message("screen", 4), *others])
    assert run.statuses() == {
        "msg-track-000001": "delivered",
        "msg-page-000002": "delivered",
        "msg-track-000003": "invalid",
        "msg-screen-000004": "skipped",
        "msg-identify-000005": "skipped",
        "msg-group-000006": "delivered",
        "msg-alias-000007": "skipped",
    }
    assert "app_instance_id" in run.invalid["msg-track-000003"]
    clients = sorted(r.json()["app_instance_id"] for r in receiver.accepted)
    assert clients == ["cbd7f2aa", "cbd7f2aa", "ee01ff"]  # one request per (app instance, user)
    assert receiver.accepted[0].arg("firebase_app_id") == "1:123:android:abc"


def test_throttling_honours_retry_after(receiver: VendorReceiver) -> None:
    receiver.faults.append(Reply(429, {"error": "quota"}, {"Retry-After": "0.05"}))
    receiver.faults.append(Reply(500, {"error": "backend"}))
    run = run_engine(ga4(receiver), [message("page", 1)])
    assert run.statuses() == {"msg-page-000001": "delivered"} and run.stats.retried_records == 2
    receiver.faults.append(Reply(429, {"error": "quota"}, {"Retry-After": "90"}))
    later = run_engine(ga4(receiver), [message("page", 2)]).results["msg-page-000002"]
    assert later.status == "retry" and later.retry_in == 90


def _ago(hours: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours)).isoformat().replace("+00:00", "Z")


def test_events_older_than_72_hours_are_skipped_not_counted_as_delivered(receiver: VendorReceiver) -> None:
    ages = {1: 1.0, 2: 71.0, 3: 73.0, 4: 24 * 400}  # a new integration replays the whole history
    messages = [message("track", n, timestamp=_ago(hours), event=f"Clicked {n}") for n, hours in ages.items()]
    run = run_engine(ga4(receiver), messages)
    assert run.statuses() == {
        "msg-track-000001": "delivered",
        "msg-track-000002": "delivered",
        "msg-track-000003": "skipped",
        "msg-track-000004": "skipped",
    }
    assert "older than 72 hours" in run.skipped["msg-track-000003"]
    assert IGNORED == [] and receiver.violations == []
    assert sorted(e["name"] for r in receiver.accepted for e in r.json()["events"]) == [
        "Clicked_1",
        "Clicked_2",
    ]


def test_ecommerce_names_match_case_insensitively_and_items_keep_ga4s_fields(
    receiver: VendorReceiver,
) -> None:
    products = [
        {
            "product_id": "sku-1", "name": "Tee", "price": "19.99", "quantity": "2", "position": "3",
            "discount": "1.5", "affiliation": "Shop", "coupon": "SUMMER", "brand": "Acme", "variant": "red",
            "category": "Apparel", "category2": "Adult", "category3": "Shirts", "category4": "Crew",
            "category5": "Short sleeve", "list_id": "related", "list_name": "Related products",
        },
        {"sku": "sku-2", "price": 5, "quantity": 1.0},
    ]  # fmt: skip
    props = {"order_id": "o-9", "value": "44.98", "currency": "EUR", "products": products, "shipping": "3"}
    names = ["order completed", "PRODUCT ADDED", "product  list viewed", "Order Completed"]
    messages = [message("track", n, event=e, properties=props) for n, e in enumerate(names)]
    run = run_engine(ga4(receiver), messages)
    assert set(run.statuses().values()) == {"delivered"} and receiver.violations == []
    events = [e for r in receiver.accepted for e in r.json()["events"]]
    # Requests may arrive in any order (the engine sends concurrently): compare as multisets.
    assert sorted(e["name"] for e in events) == ["add_to_cart", "purchase", "purchase", "view_item_list"]
    purchase = next(e for e in events if e["name"] == "purchase")["params"]
    assert (purchase["value"], purchase["shipping"], purchase["transaction_id"]) == (44.98, 3, "o-9")
    assert purchase["items"][0] == {
        "item_id": "sku-1", "item_name": "Tee", "affiliation": "Shop", "coupon": "SUMMER",
        "item_brand": "Acme", "item_category": "Apparel", "item_category2": "Adult",
        "item_category3": "Shirts", "item_category4": "Crew", "item_category5": "Short sleeve",
        "item_list_id": "related", "item_list_name": "Related products", "item_variant": "red",
        "price": 19.99, "discount": 1.5, "quantity": 2, "index": 3,
    }  # fmt: skip
    assert purchase["items"][1] == {"item_id": "sku-2", "price": 5, "quantity": 1}
