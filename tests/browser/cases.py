"""One device-mode case per client-side vendor: the integration made in Houston, the stubbed tag
URLs, and what the vendor's documented API must have received for the standard journey
(``JOURNEY``: the snippet's page(), then identify, a named page, Order Completed)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.browser import stubs
from tests.browser.harness import Shop

JOURNEY = """async () => {
  await analytics.identify('user-1', {email: 'Ada@Example.com', name: 'Ada Lovelace'});
  await analytics.page('Pricing', {path: '/pricing'});
  const ctx = await analytics.track('Order Completed', {order_id: 'o-1', revenue: 42.5, currency: 'USD',
    products: [{product_id: 'sku-1', name: 'Tile', price: 42.5, quantity: 1}]});
  return ctx.event.messageId;
}"""
ORDER = "Order Completed"


@dataclass(frozen=True)
class Case:
    """A vendor's device-mode test: Houston settings, tag stubs and the expected vendor calls."""

    code: str
    details: dict[str, Any]
    config: dict[str, Any]
    stubs: dict[str, str]
    check: Callable[[Shop, str], None]  # (page, messageId of Order Completed)
    pixel: str = ""  # URL prefix of the vendor's image pixel, if its calls are requests
    extra: dict[str, Any] = field(default_factory=dict)


def has(shop: Shop, vendor: str, predicate: Callable[[list[Any]], bool], what: str) -> list[Any]:
    """Wait for a recorded call of ``vendor`` matching ``predicate`` and return it."""
    return shop.wait_for(
        f"{vendor}: {what}", lambda: next((c for c in shop.calls(vendor) if predicate(c)), None)
    )


def first(call: list[Any]) -> Any:
    return call[0] if call else None


# --- checks, one per vendor -------------------------------------------------------------------


def check_hotjar(shop: Shop, order_id: str) -> None:
    assert has(shop, "hotjar-settings", bool, "settings") == [{"hjid": 4242, "hjsv": 6}]
    assert has(shop, "hotjar", lambda c: c[0] == "identify", "identify") == [
        "identify",
        "user-1",
        {"email": "Ada@Example.com", "name": "Ada Lovelace"},
    ]
    assert has(shop, "hotjar", lambda c: c[0] == "event", "event") == ["event", ORDER]
    assert has(shop, "hotjar", lambda c: c[:2] == ["stateChange", "/pricing"], "SPA page")


def check_lucky_orange(shop: Shop, order_id: str) -> None:
    identify = has(shop, "lucky-orange", lambda c: c[0] == "identify", "identify")
    assert identify[1] == "user-1" and identify[2]["email"] == "Ada@Example.com"
    assert has(shop, "lucky-orange", lambda c: c[0] == "track", "track") == ["track", ORDER]


def check_drift(shop: Shop, order_id: str) -> None:
    assert has(shop, "drift", lambda c: c[0] == "identify", "identify")[1:] == [
        "user-1",
        {"email": "Ada@Example.com", "name": "Ada Lovelace"},
    ]
    assert has(shop, "drift", lambda c: c[:2] == ["page", "Pricing"], "page")
    track = has(shop, "drift", lambda c: c[0] == "track", "track")
    assert track[1] == ORDER and track[2]["order_id"] == "o-1"


def check_gtm(shop: Shop, order_id: str) -> None:
    start = has(shop, "gtm", lambda c: first(c).get("event") == "gtm.js", "gtm.start")
    assert start
    order = first(has(shop, "gtm", lambda c: first(c).get("event") == ORDER, "track push"))
    assert order["order_id"] == "o-1" and order["revenue"] == 42.5 and order["userId"] == "user-1"
    assert order["messageId"] == order_id
    page = first(has(shop, "gtm", lambda c: first(c).get("pageName") == "Pricing", "page push"))
    assert page["event"] == "Loaded a Page"
    ident = first(has(shop, "gtm", lambda c: first(c).get("event") == "Identify", "identify push"))
    assert ident["email"] == "Ada@Example.com"


def check_facebook_pixel(shop: Shop, order_id: str) -> None:
    assert has(shop, "fbq", lambda c: c[0] == "init", "init") == ["init", "1234567890"]
    page = has(shop, "fbq", lambda c: c[:2] == ["track", "PageView"], "PageView")
    assert page[3]["eventID"]
    purchase = has(shop, "fbq", lambda c: c[:2] == ["track", "Purchase"], "Purchase")
    assert purchase[2]["value"] == 42.5 and purchase[2]["currency"] == "USD"
    assert purchase[2]["content_ids"] == ["sku-1"] and purchase[2]["content_type"] == "product"
    assert purchase[3] == {"eventID": order_id}  # = CAPI event_id: Meta deduplicates hybrid mode
    matching = has(shop, "fbq", lambda c: c[0] == "init" and len(c) > 2, "advanced matching")
    assert matching[2] == {"external_id": "user-1", "em": "ada@example.com"}
    lead = has(shop, "fbq", lambda c: c[:2] == ["track", "Lead"], "mapped event")
    assert lead[2]["plan"] == "pro"


def check_google_ads(shop: Shop, order_id: str) -> None:
    assert has(shop, "gtag", lambda c: first(c) == ["config", "AW-777"], "config")
    conversion = first(has(shop, "gtag", lambda c: first(c)[:2] == ["event", "conversion"], "conversion"))
    assert conversion[2] == {
        "send_to": "AW-777/abcLABEL",
        "value": 42.5,
        "currency": "USD",
        "transaction_id": "o-1",
    }


def check_doubleclick(shop: Shop, order_id: str) -> None:
    assert has(shop, "gtag", lambda c: first(c) == ["config", "DC-8888"], "config")
    sends = [first(c)[2]["send_to"] for c in shop.calls("gtag") if first(c)[:2] == ["event", "conversion"]]
    conversion = first(
        has(
            shop,
            "gtag",
            lambda c: first(c)[:2] == ["event", "conversion"] and "sales" in first(c)[2]["send_to"],
            "sale",
        )
    )
    assert conversion[2]["send_to"] == "DC-8888/sales/order+transactions"
    assert conversion[2]["value"] == 42.5 and conversion[2]["transaction_id"] == "o-1"
    assert conversion[2]["u1"] == "USD" and conversion[2]["allow_custom_scripts"] is True
    assert "DC-8888/visits/home+standard" in sends + [
        first(c)[2]["send_to"] for c in shop.calls("gtag") if first(c)[:2] == ["event", "conversion"]
    ]


def check_linkedin(shop: Shop, order_id: str) -> None:
    assert has(shop, "lintrk", lambda c: c[0] == "track", "conversion") == [
        "track",
        {"conversion_id": 5151, "event_id": order_id},
    ]
    assert shop.run("window._linkedin_partner_id") == "9090"


def check_twitter(shop: Shop, order_id: str) -> None:
    assert has(shop, "twq", lambda c: c[0] == "config", "config") == ["config", "o8z9x"]
    event = has(shop, "twq", lambda c: c[0] == "event", "event")
    assert event[1] == "tw-o8z9x-purchase"
    assert event[2]["conversion_id"] == order_id and event[2]["value"] == 42.5
    assert event[2]["email_address"] == "Ada@Example.com"
    assert event[2]["contents"] == [
        {"content_id": "sku-1", "content_name": "Tile", "content_price": 42.5, "num_items": 1}
    ]


def check_microsoft_ads(shop: Shop, order_id: str) -> None:
    init = has(shop, "uet-init", bool, "UET")
    assert init[0] == "5000123" and init[1][:3] == ["consent", "default", {"ad_storage": "granted"}]
    assert has(shop, "uet", lambda c: c == ["pageLoad"], "pageLoad")
    event = has(shop, "uet", lambda c: c[0] == "event", "event")
    assert event[1] == "purchase" and event[2]["revenue_value"] == 42.5 and event[2]["currency"] == "USD"
    assert event[2]["event_id"] == order_id  # = the Conversions API eventId (hybrid dedupe)


def check_acquisio(shop: Shop, order_id: str) -> None:
    assert has(shop, "ttd", lambda c: c[1] == ["trk-page"], "page pixel")[0] == "adv1"
    order = has(shop, "ttd", lambda c: c[1] == ["tag-order"], "conversion")
    assert order == [
        "adv1",
        ["tag-order"],
        "https://insight.adsrvr.org/track/up",
        {"v": 42.5, "vf": "USD", "orderid": "o-1", "td1": ORDER},
    ]


def check_criteo(shop: Shop, order_id: str) -> None:
    tx = has(shop, "criteo", lambda c: first(c).get("event") == "trackTransaction", "transaction")[0]
    assert tx == {
        "event": "trackTransaction",
        "id": "o-1",
        "currency": "USD",
        "item": [{"id": "sku-1", "price": 42.5, "quantity": 1}],
    }
    calls = [first(c) for c in shop.calls("criteo")]
    assert {"event": "setAccount", "account": 31337} in calls and {
        "event": "setSiteType",
        "type": "m",
    } in calls
    assert {"event": "setEmail", "email": ["ada@example.com"], "hash_method": "none"} in calls


def check_taboola(shop: Shop, order_id: str) -> None:
    assert has(shop, "tfa", lambda c: first(c).get("name") == "page_view", "page_view") == [
        {"notify": "event", "name": "page_view", "id": 1122}
    ]
    assert has(shop, "tfa", lambda c: first(c).get("name") == "make_purchase", "conversion") == [
        {
            "notify": "event",
            "name": "make_purchase",
            "id": 1122,
            "revenue": 42.5,
            "currency": "USD",
            "orderid": "o-1",
        }
    ]


def check_outbrain(shop: Shop, order_id: str) -> None:
    assert has(shop, "obApi", lambda c: c == ["track", "PAGE_VIEW"], "page view")
    assert has(shop, "obApi", lambda c: c[1] == "Purchase", "conversion") == [
        "track",
        "Purchase",
        {"orderValue": 42.5, "currency": "USD", "orderId": "o-1"},
    ]
    assert shop.run("window.obApi.marketerId") == "00ab"


def check_kenshoo(shop: Shop, order_id: str) -> None:
    assert has(shop, "kenshoo", bool, "trackConversion") == [
        "ks1",
        "cid-9",
        {"conversionType": "purchase", "revenue": 42.5, "currency": "USD", "orderId": "o-1", "promoCode": ""},
    ]


def check_resonate(shop: Shop, order_id: str) -> None:
    prefix = "https://ds.reson8.com/insights.gif"
    custom = shop.wait_for(
        "resonate custom pixel", lambda: [q for q in shop.pixels(prefix) if q.get("evtype") == ["custom"]]
    )
    assert (
        custom[0]["advkey"] == ["adv-k"]
        and custom[0]["opptykey"] == ["opp-k"]
        and custom[0]["evkey"] == ["ev-order"]
    )
    assert custom[0]["pixt"] == ["resonate"]
    assert [q for q in shop.pixels(prefix) if q.get("evtype") == ["impression"]]


def check_rubicon(shop: Shop, order_id: str) -> None:
    prefix = "https://pixel.rubiconproject.com/tap.php"
    order = shop.wait_for(
        "rubicon order pixel", lambda: [q for q in shop.pixels(prefix) if q.get("event") == [ORDER]]
    )
    assert order[0]["v"] == ["123"] and order[0]["order_id"] == ["o-1"]
    assert [q for q in shop.pixels(prefix) if q.get("event") == ["page"]]


def check_netmining(shop: Shop, order_id: str) -> None:
    prefix = "https://tags.netmining.example/tag.js"
    shop.wait_for("netmining tag", lambda: [u for u in shop.requests if u == prefix + "?id=7"])
    order = shop.wait_for(
        "netmining event", lambda: [q for q in shop.pixels(prefix) if q.get("event") == [ORDER]]
    )
    assert order[0]["id"] == ["7"]


def check_pebble_post(shop: Shop, order_id: str) -> None:
    order = first(has(shop, "pebble-post", lambda c: first(c)["orderId"] == "o-1", "the order's tag run"))
    assert order == {
        "siteId": "pp-55",
        "siteUId": "user-1",
        "email": "Ada@Example.com",
        "orderId": "o-1",
        "orderValue": "42.5",
    }
    page = first(shop.calls("pebble-post")[1])  # the named page, after identify
    assert page["siteUId"] == "user-1" and page["orderId"] == ""


def check_retention_science(shop: Shop, order_id: str) -> None:
    calls = [
        first(c)
        for c in shop.wait_for(
            "rsq order",
            lambda: [c for c in shop.calls("rsq") if first(c)[0] == "_addOrder"] and shop.calls("rsq"),
        )
    ]
    assert ["_setSiteId", "rs-1"] in calls and ["_enableOnsite"] in calls
    assert ["_setUserEmail", "Ada@Example.com"] in calls
    assert ["_addOrder", {"id": "o-1", "total": 42.5}] in calls
    assert ["_addOrderItem", {"id": "sku-1", "name": "Tile", "price": 42.5}] in calls
    assert calls.index(["_setAction", "checkout_success"]) < len(calls) - 1 and calls[-1] == ["_track"]


def check_optimizely(shop: Shop, order_id: str) -> None:
    event = first(has(shop, "optimizely", lambda c: first(c).get("type") == "event", "event"))
    assert (
        event["eventName"] == ORDER
        and event["tags"]["revenue"] == 4250
        and event["tags"]["order_id"] == "o-1"
    )
    user = first(has(shop, "optimizely", lambda c: first(c).get("type") == "user", "user"))
    assert user["attributes"] == {"email": "Ada@Example.com", "name": "Ada Lovelace", "userId": "user-1"}
    assert has(shop, "optimizely", lambda c: first(c) == {"type": "page", "pageName": "pricing"}, "page")


def check_clicky(shop: Shop, order_id: str) -> None:
    init = has(shop, "clicky-init", bool, "site ids")
    assert init[0] == [100200] and init[1]["pageview_disable"] == 1
    assert has(shop, "clicky", lambda c: c[0] == "goal", "goal") == ["goal", ORDER, 42.5]
    assert has(shop, "clicky", lambda c: c[0] == "log" and c[2] == "Pricing", "page")[3] == "pageview"
    assert shop.run("window.clicky_custom.visitor.username") == "user-1"


def check_adobe(shop: Shop, order_id: str) -> None:
    assert has(shop, "adobe", lambda c: c[0] == "s_gi", "s_gi") == ["s_gi", "shopprod,shopglobal"]
    page = has(shop, "adobe", lambda c: c[0] == "t" and c[1].get("pageName") == "Pricing", "s.t()")[1]
    assert page["trackingServer"] == "shop.sc.omtrdc.net" and page["visitorID"] == "user-1"
    link = has(shop, "adobe", lambda c: c[0] == "tl", "s.tl()")
    assert link[1:3] == ["o", ORDER]
    assert link[3]["events"] == "purchase" and link[3]["eVar7"] == "o-1" and link[3]["purchaseID"] == "o-1"
    assert link[3]["linkTrackVars"] == "events,eVar7,purchaseID"


def check_bloomreach(shop: Shop, order_id: str) -> None:
    start = has(shop, "bloomreach", lambda c: c[0] == "start", "start")
    assert start[1]["token"] == "web-proj" and start[1]["target"] == "https://api.eu.exponea.com"
    assert has(shop, "bloomreach", lambda c: c[0] == "identify", "identify") == [
        "identify",
        {"registered": "user-1"},
        {"email": "Ada@Example.com", "name": "Ada Lovelace"},
    ]
    track = has(shop, "bloomreach", lambda c: c[:2] == ["track", ORDER], "track")
    assert track[2]["revenue"] == 42.5


def check_vwo(shop: Shop, order_id: str) -> None:
    assert has(shop, "vwo-smartcode", bool, "SmartCode")
    event = has(shop, "vwo", lambda c: c[0] == "event", "VWO.event")
    assert event[1] == "segment.Order Completed" and event[2]["order_id"] == "o-1"
    assert event[3] == {"source": "segment.web", "ogName": ORDER}
    visitor = has(shop, "vwo", lambda c: c[0] == "visitor", "VWO.visitor")
    assert visitor[1]["segment.email"] == "Ada@Example.com"


CASES = [
    Case(
        "hotjar",
        {"siteID": "4242"},
        {},
        {"https://static.hotjar.com/c/hotjar-4242.js?sv=6": stubs.HOTJAR},
        check_hotjar,
    ),
    Case(
        "lucky_orange",
        {"siteId": "lo-1"},
        {},
        {"https://tools.luckyorange.com/core/lo.js?site-id=lo-1": stubs.LUCKY_ORANGE},
        check_lucky_orange,
    ),
    Case(
        "drift",
        {"embedId": "emb123"},
        {},
        {"https://js.driftt.com/include/*/emb123.js": stubs.DRIFT},
        check_drift,
    ),
    Case(
        "google_tag_manager",
        {"containerID": "GTM-ABC1"},
        {},
        {"https://www.googletagmanager.com/gtm.js?id=GTM-ABC1": stubs.array_queue("gtm", "dataLayer")},
        check_gtm,
    ),
    Case(
        "facebook_pixel",
        {"pixelId": "1234567890", "accessToken": "server-only-token"},
        {"connectionMode": "hybrid", "eventsToEvents": {"Plan Chosen": "Lead"}},
        {
            "https://connect.facebook.net/en_US/fbevents.js": stubs.function_queue(
                "fbq", "fbq", "queue", "callMethod"
            )
        },
        check_facebook_pixel,
        extra={"after": "analytics.track('Plan Chosen', {plan: 'pro'})"},
    ),
    Case(
        "google_adwords",
        {
            "customerId": "123-456-7890",
            "developerToken": "secret-dev-token",
            "oauthClientId": "client-id",
            "oauthClientSecret": "secret-client",
            "refreshToken": "secret-refresh",
        },
        {"connectionMode": "device", "conversionId": "AW-777", "conversionLabels": {ORDER: "abcLABEL"}},
        {
            "https://www.googletagmanager.com/gtag/js?id=AW-777": stubs.array_queue(
                "gtag", "dataLayer", spread=True
            )
        },
        check_google_ads,
    ),
    Case(
        "doubleclick",
        {"advertiserId": "8888"},
        {
            "connectionMode": "device",
            "activityTag": "home",
            "groupTag": "visits",
            "conversionEvents": [
                {
                    "eventName": ORDER,
                    "floodlightActivityTag": "order",
                    "floodlightGroupTag": "sales",
                    "salesTag": True,
                    "customVariables": {"currency": "u1"},
                }
            ],
        },
        {
            "https://www.googletagmanager.com/gtag/js?id=DC-8888": stubs.array_queue(
                "gtag", "dataLayer", spread=True
            )
        },
        check_doubleclick,
    ),
    Case(
        "linkedin_insight_tag",
        {"adAccountId": "507", "accessToken": "server-only"},
        {"connectionMode": "hybrid", "partnerId": "9090", "conversionMapping": {ORDER: "5151"}},
        {
            "https://snap.licdn.com/li.lms-analytics/insight.min.js": stubs.function_queue(
                "lintrk", "lintrk", "q"
            )
        },
        check_linkedin,
    ),
    Case(
        "twitter_ads",
        {
            "pixelId": "o8z9x",
            "consumerKey": "secret-ck",
            "consumerSecret": "secret-cs",
            "accessToken": "secret-at",
            "accessTokenSecret": "secret-ats",
        },
        {"connectionMode": "hybrid", "twitterAdsEventNames": {ORDER: "tw-o8z9x-purchase"}},
        {"https://static.ads-twitter.com/uwt.js": stubs.function_queue("twq", "twq", "queue", "exe")},
        check_twitter,
    ),
    Case(
        "microsoft_ads",
        {"uetTag": "5000123", "apiToken": "server-only"},
        {"connectionMode": "device", "adStorageConsent": "G", "eventNameMapping": {ORDER: "purchase"}},
        {"https://bat.bing.com/bat.js": stubs.UET},
        check_microsoft_ads,
    ),
    Case(
        "acquisio",
        {"advertiserId": "adv1"},
        {"connectionMode": "device", "trackerId": "trk-page", "eventTagIds": {ORDER: "tag-order"}},
        {"https://js.adsrvr.org/up_loader.1.1.0.js": stubs.TTD},
        check_acquisio,
    ),
    Case(
        "criteo",
        {"accountId": "31337", "callerId": "c"},
        {"connectionMode": "device", "siteType": "m"},
        {"https://dynamic.criteo.com/js/ld/ld.js?a=31337": stubs.array_queue("criteo", "criteo_q")},
        check_criteo,
    ),
    Case(
        "taboola",
        {"accountId": "1122"},
        {"connectionMode": "device", "eventNameMapping": {ORDER: "make_purchase"}},
        {"https://cdn.taboola.com/libtrc/unip/1122/tfa.js": stubs.array_queue("tfa", "_tfa")},
        check_taboola,
    ),
    Case(
        "outbrain",
        {"marketerId": "00ab"},
        {"connectionMode": "device", "conversionNameMapping": {ORDER: "Purchase"}},
        {
            "https://amplify.outbrain.com/cp/obtp.js": stubs.function_queue(
                "obApi", "obApi", "queue", "dispatch"
            )
        },
        check_outbrain,
    ),
    Case(
        "kenshoo",
        {"serverId": "ks1", "cid": "cid-9"},
        {"conversionTypeMapping": {ORDER: "purchase"}},
        {"https://services.xg4ken.com/js/kenshoo.js?cid=cid-9": stubs.KENSHOO},
        check_kenshoo,
    ),
    Case(
        "resonate",
        {"advkey": "adv-k", "opptykey": "opp-k"},
        {"eventKeyMapping": {ORDER: "ev-order", "page": "ev-page"}},
        {},
        check_resonate,
    ),
    Case("rubicon", {"pixelUrl": "https://pixel.rubiconproject.com/tap.php?v=123"}, {}, {}, check_rubicon),
    Case("netmining", {"tagUrl": "https://tags.netmining.example/tag.js?id=7"}, {}, {}, check_netmining),
    Case(
        "pebble_post",
        {"siteId": "pp-55"},
        {},
        {"https://cdn.pbbl.co/r/pp-55.js": stubs.PEBBLE_POST},
        check_pebble_post,
        extra={"tag_loads": 3},  # the tag runs once per page and track call: 2 pages, 1 order
    ),
    Case(
        "retention_science",
        {"siteId": "rs-1"},
        {"enableOnSite": True},
        {"https://d1stxfv94hrhia.cloudfront.net/waves/v2/w.js": stubs.array_queue("rsq", "_rsq")},
        check_retention_science,
    ),
    Case(
        "optimizely",
        {"accountId": "acc", "projectID": "8080", "optimizelyApiKey": "server-only"},
        {"connectionMode": "device"},
        {"https://cdn.optimizely.com/js/8080.js": stubs.array_queue("optimizely", "optimizely")},
        check_optimizely,
    ),
    Case(
        "clicky",
        {"siteId": "100200", "adminSiteKey": "server-only"},
        {"connectionMode": "device"},
        {"https://static.getclicky.com/js": stubs.CLICKY},
        check_clicky,
    ),
    Case(
        "adobe_analytics",
        {"trackingServerUrl": "shop.sc.omtrdc.net", "reportSuiteIds": ["shopprod", "shopglobal"]},
        {
            "connectionMode": "device",
            "appMeasurementUrl": "https://shop.example/AppMeasurement.js",
            "eventsToAdobeEvents": {ORDER: "purchase"},
            "eVarMapping": {"order_id": "eVar7"},
        },
        {"https://shop.example/AppMeasurement.js": stubs.APP_MEASUREMENT},
        check_adobe,
    ),
    Case(
        "bloomreach",
        {
            "apiBaseUrl": "https://api.eu.exponea.com",
            "webProjectId": "web-proj",
            "projectToken": "secret-project-token",
            "apiKey": "secret-api-key",
            "apiSecret": "secret-api-secret",
        },
        {"connectionMode": "device"},
        {"https://api.eu.exponea.com/js/exponea.min.js": stubs.EXPONEA},
        check_bloomreach,
    ),
    Case(
        "vwo",
        {"vwoAccountId": "654321", "region": "US"},
        {"connectionMode": "device"},
        {"https://dev.visualwebsiteoptimizer.com/j.php?a=654321*": stubs.VWO_SMARTCODE},
        check_vwo,
    ),
]
