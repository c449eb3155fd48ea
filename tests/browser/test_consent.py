"""The visitor's consent in the browser: a plugin whose consent category is denied gets no
call, and when the page's consent state denies it before the first call (the snippet's page()
carries no consent), its vendor tag is never even requested. Collection itself is not gated."""

from __future__ import annotations

import json
from urllib.parse import quote

from playwright.sync_api import Browser

from tests.browser import stubs
from tests.browser.harness import Yard, shop_page

HOTJAR_TAG = "https://static.hotjar.com/c/hotjar-4242.js?sv=6"
FBQ_TAG = "https://connect.facebook.net/en_US/fbevents.js"
TAGS = {
    HOTJAR_TAG: stubs.HOTJAR,
    FBQ_TAG: stubs.function_queue("fbq", "fbq", "queue", "callMethod"),
}


def _hotjar_and_pixel(yard: Yard, name: str) -> str:
    write_key = yard.source(name)
    yard.integrate(write_key, "hotjar", {"siteID": "4242"}, {})  # consent category Analytics
    yard.integrate(
        write_key,
        "facebook_pixel",
        {"pixelId": "77", "accessToken": "secret-77"},
        {"connectionMode": "device"},
    )  # consent category Advertising
    return write_key


def test_denied_consent_skips_the_plugin_of_that_category_only(chromium: Browser, yard: Yard) -> None:
    write_key = _hotjar_and_pixel(yard, "consent")
    denied = "{context: {consent: {categoryPreferences: {Analytics: false, Advertising: true}}}}"
    with shop_page(chromium, yard, write_key, stubs=TAGS) as shop:
        shop.run(
            f"async () => {{ await analytics.track('No Consent', {{}}, {denied}); "
            f"await analytics.track('Consent Unknown'); }}"
        )
        shop.wait_for("default allow", lambda: ["event", "Consent Unknown"] in shop.calls("hotjar"))
        assert ["event", "No Consent"] not in shop.calls("hotjar")  # Analytics denied
        assert [c for c in shop.calls("fbq") if c[1:2] == ["No Consent"]]  # Advertising allowed
    landed = yard.wait_landed(write_key, lambda m: len(m) >= 3)
    assert "No Consent" in {m.get("event") for m in landed}  # consent gates vendors, not collection


def test_consent_denied_by_the_page_keeps_the_tag_from_loading_at_all(chromium: Browser, yard: Yard) -> None:
    write_key = _hotjar_and_pixel(yard, "consent-cookie")
    # What the site's CMP wrote for a returning visitor who refused analytics cookies.
    denied = {"eventyard_consent": quote(json.dumps({"Analytics": False, "Advertising": True}))}
    with shop_page(chromium, yard, write_key, stubs=TAGS, cookies=denied) as shop:
        sent = shop.run("""async () => {
          await analytics.identify('user-1', {email: 'ada@example.com'});
          return (await analytics.track('Order Completed', {revenue: 5})).event.messageId;
        }""")
        shop.wait_for(
            "the pixel's purchase", lambda: [c for c in shop.calls("fbq") if c[:2] == ["track", "Purchase"]]
        )
        assert shop.served_tags[FBQ_TAG] == 1  # the allowed category's tag loaded on the first page()
        assert not [u for u in shop.requests if "hotjar" in u], "a denied tag was requested"
        assert shop.run("typeof window.hj") == "undefined" and shop.calls("hotjar") == []
        # The visitor changes their mind in the CMP: the next call reads the new state.
        shop.run("""() => { document.cookie = 'eventyard_consent=' +
          encodeURIComponent(JSON.stringify({Analytics: true, Advertising: true})) + '; path=/' }""")
        shop.run("analytics.track('After Consent')")
        shop.wait_for("hotjar after consent", lambda: ["event", "After Consent"] in shop.calls("hotjar"))
        assert shop.served_tags[HOTJAR_TAG] == 1
    landed = yard.wait_landed(write_key, lambda m: sent in {x["messageId"] for x in m} and len(m) >= 4)
    assert {m["type"] for m in landed} >= {"page", "identify", "track"}  # consent gates vendors only


def test_a_call_s_own_consent_overrides_the_page_s(chromium: Browser, yard: Yard) -> None:
    write_key = _hotjar_and_pixel(yard, "consent-precedence")
    allowed = {"eventyard_consent": quote(json.dumps({"Analytics": True}))}
    with shop_page(chromium, yard, write_key, stubs=TAGS, cookies=allowed) as shop:
        shop.run("""async () => {
          const denied = {context: {consent: {categoryPreferences: {Analytics: false}}}};
          await analytics.track('Stamped Denied', {}, denied);
          await analytics.track('Cookie Allowed');
        }""")
        shop.wait_for("the allowed event", lambda: ["event", "Cookie Allowed"] in shop.calls("hotjar"))
        assert ["event", "Stamped Denied"] not in shop.calls("hotjar")
