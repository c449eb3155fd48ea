"""What a site owner relies on beyond each vendor's mapping: Houston switches plugins on and off,
the message's integrations object is honoured in the browser (consent: test_consent.py), one
broken tag never costs the collector an event, device-mode events are not delivered twice, and
ad click ids reach every event."""

from __future__ import annotations

import time

from playwright.sync_api import Browser

from eventyard.destinations.filters import MessageFilter
from tests.browser import stubs
from tests.browser.cases import CASES
from tests.browser.harness import Yard, shop_page

HOTJAR_TAG = "https://static.hotjar.com/c/hotjar-4242.js?sv=6"
HOTJAR = {HOTJAR_TAG: stubs.HOTJAR}


def test_switching_the_integration_off_in_houston_removes_the_plugin_on_the_next_load(
    chromium: Browser, yard: Yard
) -> None:
    write_key = yard.source("toggle")
    integration = yard.integrate(write_key, "hotjar", {"siteID": "4242"}, {})
    with shop_page(chromium, yard, write_key, stubs=HOTJAR) as shop:
        assert "Hotjar" in shop.plugin_names()
        yard.set_enabled(integration, False)
        shop.wait_for("settings without Hotjar", lambda: _reload_without(shop, "Hotjar"))
        shop.run("analytics.track('After Off')")
        assert not [c for c in shop.calls("hotjar") if c == ["event", "After Off"]]
        yard.set_enabled(integration, True)
        shop.wait_for("settings with Hotjar", lambda: not _reload_without(shop, "Hotjar"))


def _reload_without(shop, name: str) -> bool:  # type: ignore[no-untyped-def]
    shop.reload()
    return name not in shop.plugin_names()


def test_integrations_false_on_a_call_skips_the_plugin_but_not_the_collector(
    chromium: Browser, yard: Yard
) -> None:
    write_key = yard.source("integrations-object")
    yard.integrate(write_key, "hotjar", {"siteID": "4242"}, {})
    with shop_page(chromium, yard, write_key, stubs=HOTJAR) as shop:
        shop.run("""async () => {
          await analytics.track('Skipped', {}, {integrations: {Hotjar: false}});
          await analytics.track('Everyone Off', {}, {integrations: {All: false}});
          await analytics.track('Only Hotjar', {}, {integrations: {All: false, Hotjar: true}});
          await analytics.track('Sent');
        }""")
        shop.wait_for("the last event", lambda: ["event", "Sent"] in shop.calls("hotjar"))
        events = [c[1] for c in shop.calls("hotjar") if c[0] == "event"]
        assert events == ["Only Hotjar", "Sent"]
    landed = yard.wait_landed(write_key, lambda m: len(m) >= 5)
    assert {m.get("event") for m in landed} >= {"Skipped", "Everyone Off", "Only Hotjar", "Sent"}


def test_a_page_with_every_client_only_vendor_still_sends_every_event(chromium: Browser, yard: Yard) -> None:
    write_key = yard.source("everything")
    all_stubs: dict[str, str] = {}
    for case in CASES:
        yard.integrate(write_key, case.code, case.details, case.config)
        all_stubs.update(case.stubs)
    broken = frozenset({HOTJAR_TAG, "https://connect.facebook.net/*"})  # blocked by the visitor
    all_stubs["https://static.getclicky.com/js"] = "throw new Error('a broken vendor tag')"
    with shop_page(chromium, yard, write_key, stubs=all_stubs, broken=broken) as shop:
        assert len(shop.plugin_names()) >= len(CASES) + 2
        sent = shop.run("""async () => {
          const ids = [];
          for (let i = 0; i < 12; i++) {
            const ctx = await analytics.track('Step ' + i, {order_id: 'o-' + i, revenue: i});
            ids.push(ctx.event.messageId);
          }
          ids.push((await analytics.identify('user-9', {email: 'x@example.com'})).event.messageId);
          return ids;
        }""")
        shop.wait_for("other vendors", lambda: shop.pixels("https://pixel.rubiconproject.com/tap.php"))
    landed = yard.wait_landed(write_key, lambda m: set(sent) <= {x["messageId"] for x in m})
    assert set(sent) <= {m["messageId"] for m in landed}
    assert len([m for m in landed if m["type"] == "page"]) == 1


def test_device_mode_events_carry_bundled_ids_and_delivery_skips_them(chromium: Browser, yard: Yard) -> None:
    write_key = yard.source("bundled")
    device = yard.integrate(
        write_key, "facebook_pixel", {"pixelId": "1", "accessToken": "s-1"}, {"connectionMode": "device"}
    )
    hybrid = yard.integrate(
        write_key,
        "linkedin_insight_tag",
        {"adAccountId": "2", "accessToken": "s-2"},
        {"connectionMode": "hybrid"},
    )
    cloud = yard.integrate(
        write_key,
        "twitter_ads",
        {
            "pixelId": "3",
            "consumerKey": "a",
            "consumerSecret": "b",
            "accessToken": "c",
            "accessTokenSecret": "d",
        },
        {},
    )
    with shop_page(chromium, yard, write_key, stubs={}) as shop:
        names = shop.plugin_names()
        assert "Facebook Pixel" in names and "Linkedin Insight Tag" in names and "Twitter Ads" not in names
        message_id = shop.run("async () => (await analytics.track('Bought')).event.messageId")
    landed = yard.wait_landed(write_key, lambda m: message_id in {x["messageId"] for x in m})
    (message,) = [m for m in landed if m["messageId"] == message_id]
    assert message["_metadata"]["bundledIds"] == [device]
    config = {"callTypes": ["track"]}
    skip = MessageFilter.build(
        names=["Facebook Pixel"], vendor_call_types={"track"}, config=config, integration_id=device
    )
    assert "device-mode" in (skip.skip_reason(message) or "")
    for other in (hybrid, cloud):  # hybrid: both deliver (event ids dedupe); cloud: only the server
        keep = MessageFilter.build(
            names=["x"], vendor_call_types={"track"}, config=config, integration_id=other
        )
        assert keep.skip_reason(message) is None


def test_click_ids_from_the_landing_url_reach_every_event_for_ninety_days(
    chromium: Browser, yard: Yard
) -> None:
    write_key = yard.source("click-ids")
    with shop_page(
        chromium, yard, write_key, stubs={}, query="gclid=G-1&fbclid=F-1&utm_source=ads&msclkid="
    ) as shop:
        first = shop.run("async () => (await analytics.track('Landed')).event.messageId")
        cookie = next(c for c in shop.page.context.cookies() if c["name"] == "eventyard_click_ids")
        assert 89 * 86400 < cookie["expires"] - time.time() <= 90 * 86400
        shop.reload("li_fat_id=L-1")
        second = shop.run("async () => (await analytics.track('Came Back')).event.messageId")
        shop.reload()
        third = shop.run("async () => (await analytics.track('Later')).event.messageId")
    landed = {m["messageId"]: m for m in yard.wait_landed(write_key, lambda m: len(m) >= 6)}
    assert landed[first]["context"]["clickIds"] == {"gclid": "G-1", "fbclid": "F-1"}
    assert landed[second]["context"]["clickIds"] == {"gclid": "G-1", "fbclid": "F-1", "li_fat_id": "L-1"}
    assert landed[third]["context"]["clickIds"] == {"gclid": "G-1", "fbclid": "F-1", "li_fat_id": "L-1"}
    pages = [m for m in landed.values() if m["type"] == "page"]
    assert pages and all(p["context"]["clickIds"]["gclid"] == "G-1" for p in pages)
