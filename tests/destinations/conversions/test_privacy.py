"""Every conversion-API vendor: the call types it declares are exactly the ones it sends (the
others are skipped with a documented reason), and no unhashed email or phone number ever leaves
Eventyard — not in a request (URL, headers, body) nor in a log line — even when the page URL,
the traits and the properties all carry them."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from eventyard.destinations.base import CALL_TYPES, Integration
from eventyard.destinations.registry import get_integration_class
from tests.destinations.conversions.helpers import (
    RAW_EMAIL,
    RAW_PHONE,
    assert_no_raw_pii,
    conversion,
    sent_text,
)
from tests.destinations.drive import run_engine
from tests.destinations.receivers import Received, Reply, VendorReceiver, running
from tests.destinations.vendors import harness

OAUTH = {"oauthClientId": "cid", "oauthClientSecret": "csecret", "refreshToken": "rtoken"}
SETTINGS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "google_adwords": (
        {"customerId": "1234567890", "developerToken": "dev", **OAUTH},
        {"eventsToConversionsNamesMapping": {"Order Completed": "1"}},
    ),
    "microsoft_ads": ({"uetTag": "1", "apiToken": "uet-token"}, {}),
    "linkedin_insight_tag": ({"adAccountId": "1", **OAUTH}, {"conversionMapping": {"Order Completed": "1"}}),
    "twitter_ads": (
        {
            "pixelId": "p",
            "consumerKey": "ck",
            "consumerSecret": "cs",
            "accessToken": "at",
            "accessTokenSecret": "ats",
        },
        {"twitterAdsEventNames": {"Order Completed": "tw-p-e"}},
    ),
    "criteo": ({"accountId": "1", "callerId": "c"}, {}),
    "taboola": ({}, {}),
    "outbrain": ({}, {}),
    "doubleclick": (
        {"profileId": "1", "floodlightConfigurationId": "2", "advertiserId": "3", **OAUTH},
        {"floodlightActivityIds": {"Order Completed": "4"}},
    ),
    "acquisio": ({"advertiserId": "adv"}, {"trackerId": "t"}),
    "optimizely": ({"accountId": "1"}, {"eventsMapping": {"Order Completed": "5"}}),
    "adobe_analytics": (
        {"trackingServerUrl": "x", "reportSuiteIds": ["rs"]},
        {
            "eVarMapping": {"email": "eVar1", "phone": "eVar2", "note": "eVar3"},
            "contextDataMapping": {"email": "email", "note": "note"},
        },
    ),
    "bloomreach": ({"projectToken": "pt", "apiKey": "k", "apiSecret": "s"}, {}),
}
CLICK_IDS = {
    "gclid": "g1",
    "msclkid": "m1",
    "li_fat_id": "l1",
    "twclid": "t1",
    "tblci": "tb1",
    "ob_click_id": "ob1",
    "crto_mapped_user_id": "gum1",
    "tdid": "td1",
}


def leaky(kind: str) -> dict[str, Any]:
    """A message with the raw email and phone everywhere a careless mapping could pick them up."""
    message = conversion(kind, click_ids=dict(CLICK_IDS))
    form = f"https://shop.example.com/thanks?email={RAW_EMAIL.strip()}&phone={RAW_PHONE}&step=2"
    message["context"]["page"]["url"] = form
    message["context"]["page"]["referrer"] = form
    props = message.setdefault("properties", {})
    props.update(email=RAW_EMAIL, phone=RAW_PHONE, note=f"call me at {RAW_PHONE} or {RAW_EMAIL}")
    if kind == "page":
        props["url"] = form
    if kind in ("identify", "group"):
        message["traits"].update(email=RAW_EMAIL, phone=RAW_PHONE, mobile=RAW_PHONE)
    return message


def vendor(code: str, url: str) -> Integration:
    connection, config = SETTINGS[code]
    integration = get_integration_class(code)(dict(connection), dict(config))
    if code == "bloomreach":
        integration.connection["apiBaseUrl"] = url
    elif code == "adobe_analytics":
        integration.scheme = "http"  # type: ignore[attr-defined]
        integration.connection["trackingServerUrl"] = url.removeprefix("http://")
    else:
        integration.base_url = url  # type: ignore[attr-defined]
    if hasattr(integration, "token_url"):
        integration.token_url = f"{url}/token"  # type: ignore[attr-defined]
    return integration


def accept_everything(request: Received) -> Reply:
    """A vendor that takes anything (and a token endpoint at /token)."""
    if request.path == "/token":
        return Reply(200, {"access_token": "short-lived-1", "expires_in": 3600})
    return Reply(200, b"")


@pytest.fixture(scope="module")
def receiver() -> Iterator[VendorReceiver]:
    with running(accept_everything) as server:
        yield server


@pytest.mark.parametrize("code", sorted(SETTINGS))
def test_declared_call_types_are_exactly_the_accepted_ones(code: str, receiver: VendorReceiver) -> None:
    harness.assert_declared_call_types(vendor(code, receiver.url), leaky)


@pytest.mark.parametrize("code", sorted(SETTINGS))
def test_no_unhashed_email_or_phone_leaves_in_a_request_or_a_log_line(
    code: str, receiver: VendorReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.accepted.clear()
    integration = vendor(code, receiver.url)
    messages = [leaky(kind) for kind in sorted(CALL_TYPES)]
    with caplog.at_level(logging.DEBUG):
        run = run_engine(integration, messages)
    delivered = [k for k, v in run.statuses().items() if v == "delivered"]
    assert delivered, run.statuses()  # something was sent, so the check below means something
    assert receiver.accepted
    assert_no_raw_pii(sent_text(receiver))
    assert_no_raw_pii(caplog.text)
    assert_no_raw_pii(" ".join(r.error for r in run.results.values()))


def test_the_check_itself_catches_a_leak() -> None:
    with pytest.raises(AssertionError, match="raw personal data"):
        assert_no_raw_pii(f"body={RAW_EMAIL}")
    with pytest.raises(AssertionError):
        assert_no_raw_pii("+1 (415) 555-0132")
