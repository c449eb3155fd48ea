"""Sailthru against a receiver enforcing its signed-form API (/user, /event, /purchase)."""

from __future__ import annotations

import hashlib
import json
import re
import time
from typing import Any

import pytest

from eventyard.destinations.base import InvalidMessage, Outcome
from eventyard.destinations.vendors.sailthru import Sailthru, signature
from tests.destinations.vendors import harness
from tests.destinations.vendors.conftest import TIMESTAMP, make

API_KEY, SECRET = "st-api-key-1", "st-secret-8d7c6b"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]+$", re.IGNORECASE)


def st_error(code: int, message: str) -> dict[str, Any]:
    return {"error": code, "errormsg": message}


class Account:
    """A Sailthru account: users, events, purchases keyed by purchase_keys.extid."""

    def __init__(self) -> None:
        self.users: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.purchases: dict[str, dict[str, Any]] = {}

    def __call__(self, request: harness.Received) -> harness.Reply:
        harness.check(request.method == "POST", 405, st_error(1, "POST required"))
        form = request.form()
        harness.check(form.get("api_key") == API_KEY, 401, st_error(3, "Invalid API key"))
        unsigned = {k: v for k, v in form.items() if k != "sig"}
        expected = hashlib.md5((SECRET + "".join(sorted(unsigned.values()))).encode()).hexdigest()
        harness.check(form.get("sig") == expected, 403, st_error(5, "Signature hash does not match"))
        harness.check(form.get("format") == "json", 400, st_error(2, "format must be json"))
        body = json.loads(form["json"])
        if request.path == "/user":
            harness.check(
                body.get("key") in {"email", "extid"} and bool(body.get("id")), 400, st_error(2, "id and key")
            )
            self.users.append(body)
            return harness.Reply(200, {"ok": True, "keys": {body["key"]: body["id"]}})
        if request.path == "/event":
            harness.check(
                bool(body.get("id")) and bool(body.get("event")),
                400,
                st_error(2, "id and event are required"),
            )
            self.events.append(body)
            return harness.Reply(200, {"ok": True})
        harness.check(request.path == "/purchase", 404, st_error(1, "Unknown endpoint"))
        if body.get("email") is not None:
            harness.check(
                bool(EMAIL.match(body["email"])), 400, st_error(11, f"Invalid email: {body['email']}")
            )
        else:
            harness.check(bool(body.get("extid")), 400, st_error(2, "email or extid is required"))
        for item in body.get("items", []):
            harness.check(
                isinstance(item.get("price"), int) and isinstance(item.get("qty"), int),
                400,
                st_error(2, "price in cents"),
            )
            harness.check(
                all(item.get(k) for k in ("id", "title", "url")),
                400,
                st_error(2, "items need id, title and url"),
            )
        key = body.get("purchase_keys", {}).get("extid") or str(len(self.purchases))
        self.purchases[key] = body
        return harness.Reply(200, {"purchase": {"price": sum(i["price"] * i["qty"] for i in body["items"])}})


SPEC = harness.VendorSpec(
    Sailthru, {"apiKey": API_KEY, "apiSecret": SECRET}, {"defaultLists": ["Newsletter"]}, Account
)


def _order(number: int = 1, **fields: Any) -> dict[str, Any]:
    message = make("track", number, **fields)
    message["properties"]["products"][0]["url"] = "https://shop.example.com/p/sku_1"
    return message


def test_identify_events_and_purchases_accepted(vendor: Sailthru, contract: Account, messages) -> None:
    messages["track"] = _order()
    delivery = harness.deliver(vendor, [*messages.values(), make("track", 2, event="Newsletter Opened")])
    assert delivery.outcomes == ["success"] * 3
    assert set(delivery.skipped) == {"m-page-1", "m-screen-1", "m-group-1", "m-alias-1"}
    (user,) = contract.users
    assert (user["id"], user["key"], user["keys"], user["lists"]) == (
        "jo@example.com",
        "email",
        {"extid": "u_123"},
        {"Newsletter": 1},
    )
    purchase = contract.purchases["o_55"]
    assert purchase["items"] == [
        {"id": "sku_1", "title": "Tee", "price": 4250, "qty": 1, "url": "https://shop.example.com/p/sku_1"}
    ]
    assert purchase["date"] == int(TIMESTAMP.timestamp()) and purchase["email"] == "Jo@Example.com"
    assert contract.events[0]["event"] == "Newsletter Opened"


def test_signature_matches_sailthru_rule() -> None:
    params = {"api_key": "k", "format": "json", "json": '{"id":"a"}'}
    assert signature("s", params) == hashlib.md5(b'sjsonk{"id":"a"}').hexdigest()


def test_resent_purchase_updates_the_same_order(vendor: Sailthru, contract: Account) -> None:
    harness.deliver(vendor, [_order()])
    harness.deliver(vendor, [_order()])
    assert list(contract.purchases) == ["o_55"]


def test_errors(vendor: Sailthru, receiver: harness.Receiver) -> None:
    bad_email = _order()
    bad_email["context"]["traits"]["email"] = "jo@example"
    invalid = harness.deliver(vendor, [bad_email]).results[0][2]
    assert invalid.outcome is Outcome.DROP and invalid.error == "Sailthru error 11: Invalid email: jo@example"
    records = vendor.transform(_order())
    reset = str(int(time.time()) + 20)
    limited = harness.fault(
        vendor,
        receiver,
        harness.Reply(
            429,
            st_error(43, "Too many POST requests this minute to /purchase"),
            {"X-Rate-Limit-Reset": reset},
        ),
        records,
    )
    assert limited.outcome is Outcome.RETRY and 0 < (limited.retry_after or 0) <= 21
    assert harness.fault(vendor, receiver, harness.Reply(500, "oops"), records).outcome is Outcome.RETRY
    vendor.connection["apiSecret"] = "st-secret-rotated"
    mismatch = vendor.classify(harness.send(vendor, "purchase", records), records)
    assert mismatch.outcome is Outcome.DROP and "Signature" in mismatch.error
    assert "st-secret-rotated" not in vendor.redact(mismatch.error)
    with pytest.raises(InvalidMessage, match="url"):
        vendor.transform(make("track"))
