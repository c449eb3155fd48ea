"""Hybrid mode end to end: one page's conversion leaves from the browser (the vendor tag, answered
by a recording stub) and from our servers (a delivery cycle of the landed event against the
vendor's contract receiver), and both carry the same event id, the key the vendor deduplicates
on: Meta event_id, Microsoft eventId, LinkedIn eventId, X conversion_id (messageId); Google Ads
and GA4 the order id (transaction_id / orderId)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Browser

from eventyard.destinations.cycle import deliver_integration
from eventyard.destinations.vendors.facebook_pixel import FacebookPixel
from eventyard.destinations.vendors.google_adwords import GoogleAds
from eventyard.destinations.vendors.google_analytics import GoogleAnalytics
from eventyard.destinations.vendors.linkedin_insight_tag import LinkedInConversions
from eventyard.destinations.vendors.microsoft_ads import MicrosoftAds
from eventyard.destinations.vendors.twitter_ads import TwitterAds
from tests.browser import stubs
from tests.browser.cases import ORDER, first
from tests.browser.harness import Shop, Yard, shop_page
from tests.destinations import test_vendor_google_analytics as ga4_api
from tests.destinations.conversions import test_google_adwords as ads_api
from tests.destinations.conversions import test_linkedin as linkedin_api
from tests.destinations.conversions import test_microsoft_ads as uet_api
from tests.destinations.conversions import test_twitter_ads as x_api
from tests.destinations.conversions.helpers import TokenEndpoint, token_server
from tests.destinations.receivers import VendorReceiver, running
from tests.destinations.vendors import test_facebook_pixel as meta_api

HYBRID = {"connectionMode": "hybrid"}
GTAG = stubs.array_queue("gtag", "dataLayer", spread=True)
TAGS = {
    "https://connect.facebook.net/en_US/fbevents.js": stubs.function_queue(
        "fbq", "fbq", "queue", "callMethod"
    ),
    "https://www.googletagmanager.com/gtag/js?id=*": GTAG,
    "https://bat.bing.com/bat.js": stubs.UET,
    "https://snap.licdn.com/li.lms-analytics/insight.min.js": stubs.function_queue("lintrk", "lintrk", "q"),
    "https://static.ads-twitter.com/uwt.js": stubs.function_queue("twq", "twq", "queue", "exe"),
}
# The ad clicks that brought the visitor (the click-ids plugin keeps them in context.clickIds).
LANDING = "gclid=Cj0KCQ-test-gclid&msclkid=m5clk1d&li_fat_id=" + linkedin_api.FAT + "&twclid=tw-click-1"


def integrations(yard: Yard, write_key: str) -> dict[str, str]:
    """Each vendor in hybrid mode, set up with the ids its contract receiver knows."""
    ads = {"customerId": ads_api.CUSTOMER, "developerToken": ads_api.DEV_TOKEN, "oauthClientId": "cid",
           "oauthClientSecret": "csecret", "refreshToken": "1//rt"}  # fmt: skip
    ga4 = {"typesOfClient": "gtag", "measurementId": "G-TEST123", "apiSecret": ga4_api.SECRET}
    return {
        "meta": yard.integrate(
            write_key, "facebook_pixel", {"pixelId": "PIXEL1", "accessToken": meta_api.TOKEN}, HYBRID
        ),
        "google_ads": yard.integrate(
            write_key,
            "google_adwords",
            ads,
            {
                **HYBRID,
                "conversionId": "AW-777",
                "conversionLabels": {ORDER: "abcLABEL"},
                "eventsToConversionsNamesMapping": {ORDER: "111"},
            },
        ),
        "microsoft": yard.integrate(
            write_key,
            "microsoft_ads",
            {"uetTag": uet_api.TAG, "apiToken": uet_api.TOKEN},
            {**HYBRID, "eventNameMapping": {ORDER: "purchase"}},
        ),
        "linkedin": yard.integrate(
            write_key,
            "linkedin_insight_tag",
            {"adAccountId": "512345678", "accessToken": "AQV-static-token"},
            {**HYBRID, "partnerId": "9090", "conversionMapping": {ORDER: "104"}},
        ),
        "x": yard.integrate(
            write_key,
            "twitter_ads",
            {"pixelId": x_api.PIXEL, **x_api.KEYS},
            {**HYBRID, "twitterAdsEventNames": {ORDER: "tw-o8z6j-o87ne"}},
        ),
        # GA4 has no hybrid mode (it deduplicates purchases only): the page's stream runs in the
        # browser and a second integration delivers the same stream from the server.
        "ga4_browser": yard.integrate(write_key, "google_analytics", ga4, {"connectionMode": "device"}),
        "ga4_server": yard.integrate(write_key, "google_analytics", ga4, {}),
    }


def browser_ids(shop: Shop) -> dict[str, Any]:
    """The dedupe id each tag received for the order."""

    def wait(vendor: str, predicate: Callable[[list[Any]], bool]) -> list[Any]:
        return shop.wait_for(vendor, lambda: next((c for c in shop.calls(vendor) if predicate(c)), None))

    gtag = [first(c) for c in shop.wait_for("gtag", lambda: shop.calls("gtag"))]
    purchase = first(wait("gtag", lambda c: first(c)[:2] == ["event", "purchase"]))
    conversion = first(wait("gtag", lambda c: first(c)[:2] == ["event", "conversion"]))
    assert gtag
    return {
        "meta": wait("fbq", lambda c: c[:2] == ["track", "Purchase"])[3]["eventID"],
        "google_ads": conversion[2]["transaction_id"],
        "ga4": purchase[2]["transaction_id"],
        "microsoft": wait("uet", lambda c: c[:2] == ["event", "purchase"])[2]["event_id"],
        "linkedin": wait("lintrk", lambda c: c[0] == "track")[1]["event_id"],
        "x": wait("twq", lambda c: c[0] == "event")[2]["conversion_id"],
    }


@pytest.fixture
def vendors(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The vendors' contract receivers, with our vendor modules pointed at them."""
    # The Meta contract refuses events from after its module's import; the page's are new.
    monkeypatch.setattr(meta_api, "NOW", datetime.now(UTC))
    tokens = TokenEndpoint("cid", "csecret", "1//rt")
    apis = {
        "meta": meta_api.Dataset(),
        "google_ads": ads_api.GoogleAdsApi(tokens),
        "microsoft": uet_api.UetApi(),
        "linkedin": linkedin_api.ConversionEvents(None, static="AQV-static-token"),
        "x": x_api.XConversions(),
    }
    classes = {"meta": FacebookPixel, "google_ads": GoogleAds, "microsoft": MicrosoftAds,
               "linkedin": LinkedInConversions, "x": TwitterAds}  # fmt: skip
    with ExitStack() as stack:
        receivers: dict[str, VendorReceiver] = {}
        for name, api in apis.items():
            receivers[name] = stack.enter_context(running(api))
            monkeypatch.setattr(classes[name], "base_url", receivers[name].url)
        apis["x"].base_url = receivers["x"].url
        token_receiver = stack.enter_context(token_server(tokens))
        monkeypatch.setattr(GoogleAds, "token_url", f"{token_receiver.url}/token")
        receivers["ga4"] = stack.enter_context(running(ga4_api.ga4_contract))
        monkeypatch.setattr(GoogleAnalytics, "base_url", receivers["ga4"].url)
        yield {"apis": apis, "receivers": receivers}


def test_browser_and_server_send_one_conversion_with_the_same_event_id(
    browse: Callable[[Callable[[Browser], Any]], Any], yard: Yard, vendors: dict[str, Any]
) -> None:
    write_key = yard.source("hybrid")
    ids = integrations(yard, write_key)

    def order(chromium: Browser) -> tuple[str, str, dict[str, Any]]:
        with shop_page(chromium, yard, write_key, stubs=TAGS, query=LANDING) as shop:
            message_id = shop.run("""async () => {
              await analytics.identify('user-1', {email: 'ada@example.com'});
              const ctx = await analytics.track('Order Completed', {order_id: 'o-77', revenue: 42.5,
                currency: 'USD', products: [{product_id: 'sku-1', price: 42.5, quantity: 1}]});
              return ctx.event.messageId;
            }""")
            anonymous_id = shop.run("analytics.user().anonymousId()")
            return message_id, anonymous_id, browser_ids(shop)

    message_id, anonymous_id, browser = browse(order)
    yard.wait_landed(write_key, lambda m: message_id in {x["messageId"] for x in m})
    for name in ("meta", "google_ads", "microsoft", "linkedin", "x", "ga4_server"):
        report = deliver_integration(yard.settings, ids[name])
        assert report.error is None and report.delivered >= 1, (name, report)
    apis, receivers = vendors["apis"], vendors["receivers"]
    server = {
        "meta": apis["meta"].events[message_id]["event_id"],
        "google_ads": apis["google_ads"].conversions["o-77"]["orderId"],
        "microsoft": apis["microsoft"].events[message_id]["eventId"],
        "linkedin": next(e for (rule, e) in apis["linkedin"].events if rule.endswith(":104")),
        "x": apis["x"].conversions[message_id]["conversion_id"],
        "ga4": "o-77" if receivers["ga4"].deliveries[f"{anonymous_id}:o-77"] == 1 else None,
    }
    assert (
        browser
        == server
        == {
            "meta": message_id,
            "google_ads": "o-77",
            "ga4": "o-77",
            "microsoft": message_id,
            "linkedin": message_id,
            "x": message_id,
        }
    )
    # GA4's browser integration is device mode: the server left the page's events to it.
    skipped = deliver_integration(yard.settings, ids["ga4_browser"])
    assert skipped.delivered == 0 and skipped.skipped >= 1
    for receiver in receivers.values():
        assert receiver.violations == []
