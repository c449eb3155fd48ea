"""The pieces of a device-mode browser test: a source with integrations made through Houston, a
shop page with the standard snippet pointed at the collector, vendor tags answered by stubs.

Every request the page makes goes through one Playwright route: the collector's own URLs pass
through; the page itself is served from memory; a vendor tag URL is answered by the stub that
records the calls made to the vendor's API (``window.__yard.calls``); anything else (pixels,
beacons) is recorded and answered with an empty 204. Nothing leaves the machine.
"""

from __future__ import annotations

import fnmatch
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Browser, Page, Route

from eventyard.collector.flusher import flush_all
from eventyard.landing import open_store, read_parquet
from eventyard.settings import Settings
from tests.houston.conftest import Api

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOP = "http://localhost:{port}/shop/"
WAIT_S = 20.0

# Evaluates a script (expression or function source) in the page and rejects when its promise
# has not settled within the given milliseconds.
_BOUNDED = """async ([source, ms]) => {
  const value = (0, eval)('(' + source + ')');
  const result = typeof value === 'function' ? value() : value;
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('no answer within ' + ms + ' ms: ' + source)), ms);
  });
  try { return await Promise.race([Promise.resolve(result), limit]); } finally { clearTimeout(timer); }
}"""

# Records every call a stubbed vendor API receives; JSON round-trip drops functions.
# `proxy(vendor, path)` is a stand-in for an SDK object whose every method call, at any depth, is
# recorded as [path, ...args] ("getUser().setEmail", "new Identify"...) and returns another one.
RECORDER = """
window.__yard = {calls: [], record: function (vendor, args) {
  try { this.calls.push({vendor: vendor, args: JSON.parse(JSON.stringify(Array.prototype.slice.call(args))) }) }
  catch (e) { this.calls.push({vendor: vendor, args: ['unserializable']}) }
}, proxy: function (vendor, path) {
  var yard = this;
  return new Proxy(function () {}, {
    get: function (target, key) {
      if (typeof key === 'symbol' || key === 'then' || key === 'toJSON' || key === 'prototype') return undefined;
      return yard.proxy(vendor, path ? path + '.' + key : key);
    },
    apply: function (target, self, args) {
      yard.record(vendor, [path].concat(Array.prototype.slice.call(args)));
      return yard.proxy(vendor, path + '()');
    },
    construct: function (target, args) {
      yard.record(vendor, ['new ' + path].concat(Array.prototype.slice.call(args)));
      return yard.proxy(vendor, path.split('.').pop());
    },
    has: function () { return true; },
    set: function () { return true; }
  });
}};
"""

# Segment's analytics.js snippet (5.2.x), unchanged but for the host of the script URL.
SNIPPET = """<script>
!function(){var i="analytics",analytics=window[i]=window[i]||[];if(!analytics.initialize)if(analytics.invoked)window.console&&console.error&&console.error("Segment snippet included twice.");else{analytics.invoked=!0;analytics.methods=["trackSubmit","trackClick","trackLink","trackForm","pageview","identify","reset","group","track","ready","alias","debug","page","screen","once","off","on","addSourceMiddleware","addIntegrationMiddleware","setAnonymousId","addDestinationMiddleware","register"];analytics.factory=function(e){return function(){if(window[i].initialized)return window[i][e].apply(window[i],arguments);var n=Array.prototype.slice.call(arguments);if(["track","screen","alias","group","page","identify"].indexOf(e)>-1){var c=document.querySelector("link[rel='canonical']");n.push({__t:"bpc",c:c&&c.getAttribute("href")||void 0,p:location.pathname,u:location.href,s:location.search,t:document.title,r:document.referrer})}n.unshift(e);analytics.push(n);return analytics}};for(var n=0;n<analytics.methods.length;n++){var key=analytics.methods[n];analytics[key]=analytics.factory(key)}analytics.load=function(key,n){var t=document.createElement("script");t.type="text/javascript";t.async=!0;t.setAttribute("data-global-segment-analytics-key",i);t.src="COLLECTOR/analytics.js/v1/" + key + "/analytics.min.js";var r=document.getElementsByTagName("script")[0];r.parentNode.insertBefore(t,r);analytics._loadOptions=n};analytics._writeKey="WRITE_KEY";;analytics.SNIPPET_VERSION="5.2.0";
analytics.load("WRITE_KEY");
analytics.page();
}}();
</script>"""


@dataclass
class Yard:
    """The running collector, Houston's API and an organization to create sources in."""

    url: str
    settings: Settings
    houston: Api
    token: str
    org: str

    def gql(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        """The one top-level field of a Houston call made as the org's owner."""
        return self.houston.one(query, variables, token=self.token, org=self.org)

    def source(self, name: str) -> str:
        """A new analytics.js source; its id is the write key."""
        status = self.gql(
            'mutation($o: ID!, $n: String!) { createApplication(name: $n, platform: "analytics.js", '
            "orgId: $o) { success message id } }",
            {"o": self.org, "n": name},
        )
        assert status["success"], status
        return str(status["id"])

    def integrate(self, source: str, code: str, details: dict[str, Any], config: dict[str, Any]) -> str:
        """A connection and an enabled integration of destination ``code`` on ``source``."""
        connection = self.gql(
            "mutation($o: ID!, $c: String!, $p: String!, $d: JSON!) { createConnection(integrationCode: $c, "
            "connectionPrototypeId: $p, name: $c, orgId: $o, details: $d) { success message id } }",
            {"o": self.org, "c": code, "p": _prototype(code), "d": details},
        )
        assert connection["success"], connection
        status = self.gql(
            "mutation($a: ID!, $c: String!, $k: ID!, $p: JSON!) { createIntegration(appId: $a, "
            "integrationCode: $c, connectionId: $k, name: $c, configPayload: $p) { success message id } }",
            {"a": source, "c": code, "k": connection["id"], "p": config},
        )
        assert status["success"], status
        return str(status["id"])

    def set_enabled(self, integration: str, enabled: bool) -> None:
        """Switch an integration on or off through Houston's updateIntegration."""
        status = self.gql(
            "mutation($i: ID!, $e: Boolean) { updateIntegration(id: $i, enabled: $e) { success message } }",
            {"i": integration, "e": enabled},
        )
        assert status["success"], status

    def landed(self, source: str) -> list[dict[str, Any]]:
        """Every event of ``source`` the collector accepted, after flushing its spool."""
        flush_all(self.settings)
        store = open_store(self.settings.resolved_landing_url)
        messages = []
        for key in store.list(f"source={source}/"):
            if key.endswith(".parquet"):
                messages += [
                    json.loads(m) for m in read_parquet(store.get(key)).column("message").to_pylist()
                ]
        return messages

    def wait_landed(
        self, source: str, predicate: Callable[[list[dict[str, Any]]], bool]
    ) -> list[dict[str, Any]]:
        """Poll the landed events of ``source`` until ``predicate`` holds (analytics.js sends async)."""
        deadline = time.monotonic() + WAIT_S
        while True:
            messages = self.landed(source)
            if predicate(messages) or time.monotonic() > deadline:
                return messages
            time.sleep(0.3)


def _prototype(code: str) -> str:
    from eventyard.catalog import load_catalog

    return load_catalog().get(code).connection_prototype_id


@dataclass
class Shop:
    """One page of the shop, its vendor stubs and what they recorded."""

    page: Page
    url: str
    requests: list[str] = field(default_factory=list)  # every non-collector URL the page asked for
    served_tags: Counter[str] = field(default_factory=Counter)

    def calls(self, vendor: str) -> list[list[Any]]:
        """The recorded calls to ``vendor``'s API, oldest first."""
        calls = self.page.evaluate("window.__yard ? window.__yard.calls : []")
        return [c["args"] for c in calls if c["vendor"] == vendor]

    def wait_for(self, what: str, check: Callable[[], Any]) -> Any:
        """Poll ``check`` until it returns something truthy; fail naming ``what`` after WAIT_S."""
        deadline = time.monotonic() + WAIT_S
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; page requests: {self.requests}")
            self.page.wait_for_timeout(100)

    def pixels(self, prefix: str) -> list[dict[str, list[str]]]:
        """Query strings of the requests whose URL starts with ``prefix``."""
        return [parse_qs(urlsplit(u).query) for u in self.requests if u.startswith(prefix)]

    def run(self, script: str) -> Any:
        """Evaluate JavaScript in the page (``analytics`` is the loaded analytics.js): an
        expression, or a function (maybe async) that is called; its promise is given WAIT_S to
        settle (Playwright's evaluate itself never times out)."""
        return self.page.evaluate(_BOUNDED, [script, int(WAIT_S * 1000)])

    def reload(self, query: str = "") -> None:
        """Load the shop page again in the same browser context (cookies kept)."""
        self.page.goto(self.url + (f"?{query}" if query else ""))
        self.page.wait_for_function("window.analytics && window.analytics.initialized === true")

    def plugin_names(self) -> list[str]:
        """Names of the destination plugins analytics.js registered."""
        return list(self.page.evaluate("analytics.queue.plugins.map(p => p.name)"))


@contextmanager
def shop_page(
    browser: Browser,
    yard: Yard,
    write_key: str,
    *,
    stubs: dict[str, str],
    query: str = "",
    broken: frozenset[str] = frozenset(),
    cookies: dict[str, str] | None = None,
) -> Iterator[Shop]:
    """Open the shop's page (standard snippet -> collector) with vendor tags served by ``stubs``.

    ``stubs`` maps a URL glob to the stub script that answers it (see ``tests/browser/stubs.py``);
    URLs matching a glob in ``broken`` fail to load (a blocked or dead tag); ``cookies`` are set
    on the shop's origin before the page loads (what a returning visitor's browser holds).
    """
    port = yard.url.rsplit(":", 1)[1]
    page_url = SHOP.format(port=port)
    html = (
        "<!doctype html><html><head><title>Shop</title>"
        + SNIPPET.replace("COLLECTOR", yard.url).replace("WRITE_KEY", write_key)
        + "</head><body><h1>Shop</h1></body></html>"
    )
    context = browser.new_context()
    context.set_default_timeout(WAIT_S * 1000)
    # The page is served by the route below, so Chromium counts it as a public site, and a public
    # site reaching a loopback collector needs Local Network Access permission (a production
    # collector is not on loopback).
    context.grant_permissions(["local-network-access"])
    context.add_init_script(RECORDER)
    for name, value in (cookies or {}).items():
        context.add_cookies([{"name": name, "value": value, "domain": "localhost", "path": "/"}])
    page = context.new_page()
    shop = Shop(page, page_url)

    def handle(route: Route) -> None:
        url = route.request.url
        if url.startswith(yard.url):
            route.continue_()
            return
        if url.split("?")[0] == page_url:
            route.fulfill(status=200, content_type="text/html", body=html)
            return
        shop.requests.append(url)
        if any(fnmatch.fnmatch(url, pattern) for pattern in broken):
            route.abort()
            return
        for pattern, stub in stubs.items():
            if fnmatch.fnmatch(url, pattern):
                shop.served_tags[pattern] += 1
                route.fulfill(status=200, content_type="application/javascript", body=stub)
                return
        route.fulfill(status=204, body="")

    context.route("**/*", handle)
    try:
        page.goto(page_url + (f"?{query}" if query else ""))
        page.wait_for_function(
            "window.analytics && window.analytics.initialized === true", timeout=WAIT_S * 1000
        )
        yield shop
    finally:
        context.close()
