"""X Conversions API against a receiver that verifies the OAuth 1.0a signature (RFC 5849,
HMAC-SHA1, computed here independently of oauthlib) and the conversion contract."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, unquote

import pytest

from eventyard.destinations.vendors.twitter_ads import TwitterAds
from tests.destinations.conversions.helpers import E164_PHONE, HEX64, NORMALIZED_EMAIL, conversion, sha
from tests.destinations.drive import run_engine
from tests.destinations.receivers import Received, Reply, VendorReceiver, check, running
from tests.destinations.vendors import harness

KEYS = {
    "consumerKey": "ck-x1",
    "consumerSecret": "cs-x1+/=",
    "accessToken": "123-at",
    "accessTokenSecret": "ats-x1",
}
PIXEL = "o8z6j"
EVENTS = {"tw-o8z6j-o87ne", "o87ne"}


def expected_signature(method: str, url: str, oauth: dict[str, str]) -> str:
    params = sorted(
        (quote(k, safe="~"), quote(v, safe="~")) for k, v in oauth.items() if k != "oauth_signature"
    )
    normalized = "&".join(f"{k}={v}" for k, v in params)
    base = "&".join(quote(part, safe="~") for part in (method, url, normalized))
    key = f"{quote(KEYS['consumerSecret'], safe='~')}&{quote(KEYS['accessTokenSecret'], safe='~')}"
    return base64.b64encode(hmac.new(key.encode(), base.encode(), hashlib.sha1).digest()).decode()


class XConversions:
    """OAuth 1.0a user context, ≤500 conversions, a known event id, ISO time, ≥1 identifier,
    hashed email/phone; a bad conversion fails the whole request (400 with ``errors``)."""

    def __init__(self, base_url: str = "") -> None:
        self.base_url = base_url
        self.conversions: dict[str, dict[str, Any]] = {}
        self.nonces: set[str] = set()

    def __call__(self, request: Received) -> Reply:
        header = request.headers.get("authorization", "")
        pairs = (
            [p.strip().split("=", 1) for p in header[6:].split(",")] if header.startswith("OAuth ") else []
        )
        oauth = {unquote(k): unquote(v.strip('"')) for k, v in pairs}
        url = f"{self.base_url}{request.path}"
        signed = oauth.get("oauth_signature") == expected_signature("POST", url, oauth)
        fresh = (
            abs(int(oauth.get("oauth_timestamp", 0)) - time.time()) < 300
            and oauth.get("oauth_nonce") not in self.nonces
        )
        ours = (
            oauth.get("oauth_consumer_key") == KEYS["consumerKey"]
            and oauth.get("oauth_token") == KEYS["accessToken"]
        )
        denied = {
            "errors": [
                {"code": "UNAUTHORIZED_ACCESS", "message": "This request is not properly authenticated"}
            ]
        }
        check(signed and fresh and ours, 401, denied)
        self.nonces.add(oauth["oauth_nonce"])
        check(
            request.path == f"/12/measurement/conversions/{PIXEL}",
            404,
            {"errors": [{"code": "NOT_FOUND", "message": "?"}]},
        )
        conversions = request.json().get("conversions") or []
        check(
            0 < len(conversions) <= 500,
            400,
            {"errors": [{"code": "INVALID_PARAMETER", "message": "1 to 500 conversions"}]},
        )
        for item in conversions:
            problem = self._problem(item)
            check(
                problem is None,
                400,
                {"errors": [{"code": "INVALID_PARAMETER", "message": problem, "parameter": "conversions"}]},
            )
        for item in conversions:
            self.conversions[item["conversion_id"]] = item
        return Reply(
            200,
            {"request": {"params": {"pixel_id": PIXEL}}, "data": {"conversions_processed": len(conversions)}},
        )

    def _problem(self, item: dict[str, Any]) -> str | None:
        if item.get("event_id") not in EVENTS:
            return f"event_id {item.get('event_id')} does not exist for this pixel"
        if not str(item.get("conversion_time", "")).endswith("Z"):
            return "conversion_time must be ISO 8601"
        identifiers = item.get("identifiers") or []
        if not identifiers:
            return "At least one identifier is required"
        for identifier in identifiers:
            for key in ("hashed_email", "hashed_phone_number"):
                if key in identifier and not HEX64.match(identifier[key]):
                    return f"{key} must be a SHA-256 hash"
            if ("ip_address" in identifier) != ("user_agent" in identifier):
                return "ip_address and user_agent go together"
        return None


@pytest.fixture
def x_api() -> Iterator[tuple[XConversions, VendorReceiver]]:
    api = XConversions()
    with running(api) as receiver:
        api.base_url = receiver.url
        yield api, receiver


def vendor(receiver: VendorReceiver) -> TwitterAds:
    integration = TwitterAds(
        {"pixelId": PIXEL, **KEYS},
        {"twitterAdsEventNames": {"Order Completed": "tw-o8z6j-o87ne", "Lead": "bad1"}},
    )
    integration.base_url = receiver.url
    return integration


def test_signed_conversions_with_hashed_identifiers(x_api) -> None:
    api, receiver = x_api
    messages = [
        conversion(click_ids={"twclid": "23opevjt88psuo13lu8d020qkn"}),
        conversion("page", 2),
        conversion(number=3, event="Unmapped"),
    ]
    run = run_engine(vendor(receiver), messages)
    assert run.statuses() == {"m-track-1": "delivered", "m-page-2": "skipped", "m-track-3": "skipped"}
    item = api.conversions["m-track-1"]
    assert item["identifiers"][:3] == [
        {"twclid": "23opevjt88psuo13lu8d020qkn"},
        {"hashed_email": sha(NORMALIZED_EMAIL)},
        {"hashed_phone_number": sha(E164_PHONE)},
    ]
    assert (item["value"], item["price_currency"], item["number_items"]) == (42.5, "USD", 1)
    assert receiver.violations == []


def test_a_bad_conversion_is_isolated_by_splitting_and_bad_keys_drop(x_api) -> None:
    api, receiver = x_api
    messages = [conversion(number=n) for n in range(5)]
    messages[3]["event"] = "Lead"  # mapped to an event id X does not know
    run = run_engine(vendor(receiver), messages)
    assert run.statuses() == {f"m-track-{n}": ("dead" if n == 3 else "delivered") for n in range(5)}
    assert "does not exist" in run.results["m-track-3"].error and len(api.conversions) == 4
    wrong = vendor(receiver)
    wrong.connection["consumerSecret"] = "not-the-secret"
    denied = run_engine(wrong, [conversion(number=9)])
    assert (
        denied.statuses() == {"m-track-9": "dead"}
        and "UNAUTHORIZED_ACCESS" in denied.results["m-track-9"].error
    )
    assert "not-the-secret" not in wrong.redact(
        str(wrong.build_request("default", wrong.transform(conversion())).headers)
    )


def test_rate_limit_waits_for_the_reset_and_the_batch_limit_is_xs(x_api) -> None:
    _, receiver = x_api
    reset = str(int(time.time()))  # already reached: retry at once
    receiver.faults.append(
        Reply(
            429,
            {"errors": [{"code": "TOO_MANY_REQUESTS", "message": "Rate limit exceeded"}]},
            {"x-rate-limit-reset": reset},
        )
    )
    run = run_engine(vendor(receiver), [conversion(number=n) for n in range(2)])
    assert set(run.statuses().values()) == {"delivered"} and run.stats.retried_records == 2
    harness.assert_batch_limit(
        vendor(receiver), receiver, [conversion(number=n) for n in range(501)], "default"
    )
