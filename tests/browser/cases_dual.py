"""Device-mode cases of the dual vendors (client and server in the matrix): the browser column of
destinations our servers also deliver. Same journey and harness as ``cases``; each check names
the vendor's documented browser calls with the mapped fields."""

from __future__ import annotations

from typing import Any

from tests.browser import stubs, stubs_dual
from tests.browser.cases import ORDER, Case, first, has
from tests.browser.harness import Shop

DEVICE = {"connectionMode": "device"}


def named(vendor: str, shop: Shop, method: str, what: str = "") -> list[Any]:
    """The first recorded ``[method, ...]`` call of ``vendor`` (waiting for it)."""
    return has(shop, vendor, lambda c: bool(c) and c[0] == method, what or method)


def check_amplitude(shop: Shop, order_id: str) -> None:
    assert named("amplitude", shop, "init") == [
        "init",
        "amp-key",
        {"serverZone": "US", "defaultTracking": False},
    ]
    track = has(shop, "amplitude", lambda c: c[:2] == ["track", ORDER], "track")
    assert track[2]["order_id"] == "o-1"
    assert (
        track[3]["insert_id"] == order_id and track[3]["user_id"] == "user-1" and track[3]["revenue"] == 42.5
    )
    assert has(shop, "amplitude", lambda c: c[:2] == ["track", "Viewed Pricing Page"], "named page")
    assert has(shop, "amplitude", lambda c: c[:2] == ["track", "Loaded a Page"], "the snippet's page")
    assert ["setUserId", "user-1"] in shop.calls("amplitude")
    assert has(shop, "amplitude", lambda c: c == ["Identify.set", "email", "Ada@Example.com"], "$set")
    assert named("amplitude", shop, "identify")


def check_attribution(shop: Shop, order_id: str) -> None:
    assert has(shop, "attribution-project", bool, "project id") == ["attr-proj-1"]
    assert named("attribution", shop, "identify")[1:] == [
        "user-1",
        {"email": "Ada@Example.com", "name": "Ada Lovelace"},
    ]
    track = has(shop, "attribution", lambda c: c[:2] == ["track", ORDER], "track")
    assert track[2]["order_id"] == "o-1" and track[2]["revenue"] == 42.5
    assert has(shop, "attribution", lambda c: c[0] == "page" and c[2] == "Pricing", "page")


def check_braze(shop: Shop, order_id: str) -> None:
    init = named("braze", shop, "initialize")
    assert init[1] == "web-app-key" and init[2]["baseUrl"] == "sdk.iad-03.braze.com"
    assert has(shop, "braze", lambda c: c == ["changeUser", "user-1"], "changeUser")
    assert has(shop, "braze", lambda c: c == ["getUser().setEmail", "Ada@Example.com"], "email attribute")
    purchase = named("braze", shop, "logPurchase")
    assert purchase[1:5] == ["sku-1", 42.5, "USD", 1]


def check_customer_io(shop: Shop, order_id: str) -> None:
    assert has(shop, "cio-tag", bool, "site id") == ["cio-site"]
    assert named("cio", shop, "identify") == [
        "identify",
        {"email": "Ada@Example.com", "name": "Ada Lovelace", "id": "user-1"},
    ]
    track = has(shop, "cio", lambda c: c[:2] == ["track", ORDER], "track")
    assert track[2]["order_id"] == "o-1"
    page = has(shop, "cio", lambda c: c[0] == "page" and c[2].get("name") == "Pricing", "page")
    assert page[1].startswith(shop.url)


def check_google_analytics(shop: Shop, order_id: str) -> None:
    def gtag(predicate: Any, what: str) -> list[Any]:
        return first(has(shop, "gtag", lambda c: predicate(first(c)), what))

    assert gtag(lambda c: c[:2] == ["config", "G-TEST1"], "config")
    purchase = gtag(lambda c: c[:2] == ["event", "purchase"], "purchase")[2]
    assert purchase["transaction_id"] == "o-1" and purchase["currency"] == "USD"
    assert purchase["items"][0]["item_id"] == "sku-1" and purchase["items"][0]["price"] == 42.5
    assert gtag(lambda c: c[:2] == ["event", "page_view"], "page_view")
    assert gtag(lambda c: c[:2] == ["event", "choose_plan"], "mapped event")[2] == {"plan": "pro"}
    assert gtag(lambda c: c[:2] == ["event", "Newsletter_Opened"], "custom event")[2] == {"issue": 7}
    events = [first(c)[1] for c in shop.calls("gtag") if first(c)[0] == "event"]
    assert "Order_Completed" not in events and "Plan_Chosen" not in events  # each event once


def check_heap(shop: Shop, order_id: str) -> None:
    assert has(shop, "heap-init", bool, "app id")[0] == "heap-1"
    assert has(shop, "heap", lambda c: c == ["identify", "user-1"], "identify")
    assert has(shop, "heap", lambda c: c[0] == "addUserProperties" and "email" in c[1], "user properties")
    track = has(shop, "heap", lambda c: c[:2] == ["track", ORDER], "track")
    assert track[2]["order_id"] == "o-1" and track[2]["revenue"] == 42.5


def check_hubspot(shop: Shop, order_id: str) -> None:
    identify = first(has(shop, "hubspot", lambda c: first(c)[0] == "identify", "identify"))
    assert identify[1]["email"] == "Ada@Example.com"
    event = first(has(shop, "hubspot", lambda c: first(c)[0] == "trackCustomBehavioralEvent", "event"))
    assert event[1]["name"] == "pe4455_order_completed" and event[1]["properties"]["order_id"] == "o-1"
    views = shop.wait_for(
        "both page views", lambda: [c for c in shop.calls("hubspot") if c == [["trackPageView"]]][1:]
    )
    assert views


def check_intercom(shop: Shop, order_id: str) -> None:
    boot = named("intercom", shop, "boot")
    assert boot[1] == {"app_id": "ic-app", "api_base": "https://api-iam.intercom.io"}
    event = has(shop, "intercom", lambda c: c[:2] == ["trackEvent", ORDER], "trackEvent")
    assert event[2]["order_id"] == "o-1"
    update = has(shop, "intercom", lambda c: c[0] == "update" and c[1].get("user_id") == "user-1", "identify")
    assert update[1]["email"] == "Ada@Example.com"


def check_keen(shop: Shop, order_id: str) -> None:
    assert has(shop, "keen-init", bool, "client") == [{"projectId": "kp1", "writeKey": "browser-kw"}]
    order = has(shop, "keen", lambda c: c[0] == ORDER, "order")[1]
    assert order["order_id"] == "o-1" and order["messageId"] == order_id and order["userId"] == "user-1"
    assert has(shop, "keen", lambda c: c[0] == "Viewed Pricing Page", "page")


def check_kissmetrics(shop: Shop, order_id: str) -> None:
    calls = [first(c) for c in shop.wait_for("km record", lambda: shop.calls("kissmetrics"))]
    record = first(has(shop, "kissmetrics", lambda c: first(c)[:2] == ["record", ORDER], "record"))
    assert record[2]["order_id"] == "o-1" and record[2]["Billing Amount"] == 42.5
    calls = [first(c) for c in shop.calls("kissmetrics")]
    assert ["identify", "user-1"] in calls
    assert ["set", {"email": "Ada@Example.com", "name": "Ada Lovelace"}] in calls
    assert [c for c in calls if c[:2] == ["record", "Viewed Pricing Page"]]


def check_lytics(shop: Shop, order_id: str) -> None:
    init = named("lytics", shop, "init")
    assert init[1]["cid"] == "ly-cid" and init[1]["stream"] == "web"
    send = has(shop, "lytics", lambda c: c[0] == "send" and c[2].get("_e") == ORDER, "send")
    assert send[1] == "web" and send[2]["order_id"] == "o-1" and send[2]["user_id"] == "user-1"
    assert has(shop, "lytics", lambda c: c == ["pageView", "web"], "page view")


def check_mixpanel(shop: Shop, order_id: str) -> None:
    assert has(shop, "mixpanel-init", bool, "init") == [
        "mp-token",
        {"track_pageview": False, "autocapture": False},
        "mixpanel",
    ]
    track = has(shop, "mixpanel", lambda c: c[:2] == ["track", ORDER], "track")
    assert track[2]["order_id"] == "o-1" and track[2]["$insert_id"] == order_id[-36:]
    assert has(shop, "mixpanel", lambda c: c == ["identify", "user-1"], "identify")
    people = has(shop, "mixpanel", lambda c: c[0] == "people.set", "people.set")
    assert people[1] == {"email": "Ada@Example.com", "name": "Ada Lovelace"}
    assert has(shop, "mixpanel", lambda c: c[:2] == ["track", "Viewed Pricing Page"], "page")


def check_sailthru(shop: Shop, order_id: str) -> None:
    assert named("sailthru", shop, "init")[1] == {
        "customerId": "st-cust",
        "isCustom": True,
        "autoTrackPageview": False,
    }
    signup = has(shop, "sailthru", lambda c: c[:2] == ["integration", "userSignUp"], "sign-up")
    assert signup[2]["email"] == "Ada@Example.com" and signup[2]["vars"]["extid"] == "user-1"
    purchase = has(shop, "sailthru", lambda c: c[:2] == ["integration", "purchase"], "purchase")[2]
    assert purchase["purchase_keys"] == {"extid": "o-1"}
    assert purchase["items"][0]["id"] == "sku-1" and purchase["items"][0]["price"] == 4250
    assert has(shop, "sailthru", lambda c: c[:2] == ["track", "pageview"], "page view")


def check_woopra(shop: Shop, order_id: str) -> None:
    assert has(shop, "woopra", lambda c: c[0] == "config", "config") == ["config", {"domain": "shop.example"}]
    identify = named("woopra", shop, "identify")
    assert identify[1] == {"email": "Ada@Example.com", "name": "Ada Lovelace", "id": "user-1"}
    track = has(shop, "woopra", lambda c: c[:2] == ["track", ORDER], "track")
    assert track[2]["order_id"] == "o-1" and track[2]["message_id"] == order_id
    pages = shop.wait_for("page views", lambda: [c for c in shop.calls("woopra") if c[:2] == ["track", "pv"]])
    assert pages[0][2]["url"].startswith(shop.url) and pages[0][2]["title"] == "Shop"


GTAG = stubs.array_queue("gtag", "dataLayer", spread=True)

DUAL_CASES = [
    Case(
        "amplitude",
        {"apiKey": "amp-key", "apiSecret": "secret-amp"},
        DEVICE,
        {
            "https://cdn.amplitude.com/libs/analytics-browser-2.11.1-min.js.gz": stubs_dual.sdk_proxy(
                "amplitude", "amplitude"
            )
        },
        check_amplitude,
    ),
    Case(
        "attribution",
        {"writeKey": "attr-proj-1"},
        DEVICE,
        {"https://scripts.attributionapp.com/attribution.js": stubs_dual.ATTRIBUTION},
        check_attribution,
    ),
    Case(
        "braze",
        {"restApiKey": "secret-rest", "appKey": "web-app-key", "dataCenter": "US-03"},
        DEVICE,
        {
            "https://js.appboycdn.com/web-sdk/4.6/braze.no-module.min.js": stubs_dual.sdk_proxy(
                "braze", "braze"
            )
        },
        check_braze,
    ),
    Case(
        "customer_io",
        {"siteID": "cio-site", "apiKey": "secret-cio"},
        DEVICE,
        {"https://assets.customer.io/assets/track.js": stubs_dual.CUSTOMER_IO},
        check_customer_io,
    ),
    Case(
        "google_analytics",
        {"typesOfClient": "gtag", "measurementId": "G-TEST1", "apiSecret": "secret-mp"},
        {**DEVICE, "eventsMapping": {"Plan Chosen": "choose_plan"}},
        {"https://www.googletagmanager.com/gtag/js?id=G-TEST1": GTAG},
        check_google_analytics,
        extra={
            "after": "async () => { await analytics.track('Plan Chosen', {plan: 'pro'}); "
            "await analytics.track('Newsletter Opened', {issue: 7}); }"
        },
    ),
    Case(
        "heap",
        {"appId": "heap-1"},
        DEVICE,
        {
            "https://cdn.heapanalytics.com/js/heap-heap-1.js": "window.__yard.record('heap-init', "
            "[window.heap.appid, window.heap.config]);" + stubs_dual.sdk_proxy("heap", "heap")
        },
        check_heap,
    ),
    Case(
        "hubspot",
        {"hubID": "4455", "accessToken": "secret-hs"},
        DEVICE,
        {"https://js.hs-scripts.com/4455.js": stubs.array_queue("hubspot", "_hsq")},
        check_hubspot,
    ),
    Case(
        "intercom",
        {"apiKey": "secret-ic", "appId": "ic-app"},
        DEVICE,
        {"https://widget.intercom.io/widget/ic-app": stubs_dual.INTERCOM},
        check_intercom,
    ),
    Case(
        "keen",
        {"projectID": "kp1", "writeKey": "secret-kw", "browserWriteKey": "browser-kw"},
        DEVICE,
        {"https://cdn.jsdelivr.net/npm/keen-tracking@4/dist/keen-tracking.min.js": stubs_dual.KEEN},
        check_keen,
    ),
    Case(
        "kissmetrics",
        {"apiKey": "km-key"},
        DEVICE,
        {
            "https://i.kissmetrics.io/i.js": stubs.array_queue("kissmetrics", "_kmq"),
            "https://scripts.kissmetrics.io/km-key.2.js": "",
        },
        check_kissmetrics,
    ),
    Case(
        "lytics",
        {"apiKey": "secret-ly", "cid": "ly-cid"},
        {**DEVICE, "stream": "web"},
        {"https://c.lytics.io/api/tag/ly-cid/latest.min.js": stubs_dual.sdk_proxy("lytics", "jstag")},
        check_lytics,
    ),
    Case(
        "mixpanel",
        {"token": "mp-token", "serviceAccountSecret": "secret-sa"},
        {**DEVICE, "people": True, "setAllTraitsByDefault": True},
        {"https://cdn.mxpnl.com/libs/mixpanel-2-latest.min.js": stubs_dual.MIXPANEL},
        check_mixpanel,
    ),
    Case(
        "sailthru",
        {"apiKey": "st-key", "apiSecret": "secret-st", "customerId": "st-cust"},
        DEVICE,
        {"https://ak.sail-horizon.com/spm/spm.v1.min.js": stubs_dual.sdk_proxy("sailthru", "Sailthru")},
        check_sailthru,
    ),
    Case(
        "woopra",
        {"projectName": "shop.example"},
        DEVICE,
        {"https://static.woopra.com/w.js": stubs_dual.WOOPRA},
        check_woopra,
    ),
]
