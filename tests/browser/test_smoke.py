from tests.browser.harness import shop_page

def test_smoke(chromium, yard):
    wk = yard.source("smoke")
    yard.integrate(wk, "hotjar", {"siteID": "123"}, {})
    with shop_page(chromium, yard, wk, stubs={"https://static.hotjar.com/c/hotjar-123.js*": "hotjar.js"}) as shop:
        shop.run("analytics.identify('u1', {email: 'a@b.c'}); analytics.track('Clicked')")
        calls = shop.wait_for("hotjar", lambda: len(shop.calls("hotjar")) >= 3 and shop.calls("hotjar"))
        print(calls, shop.plugin_names())
