"""Stand-ins for the tags of the dual (client and server) vendors, in the manner of ``stubs``:
each takes over the vendor's documented global, replays the pre-load queue the page built, and
records every call with ``window.__yard.record(vendor, args)``."""

from __future__ import annotations


def sdk_proxy(vendor: str, name: str) -> str:
    """An SDK object (``amplitude``, ``braze``, ``jstag``...) whose calls are all recorded."""
    return f"window.{name} = window.__yard.proxy({vendor!r}, '');"


def method_queue(vendor: str, queue: str, owner: str, methods: list[str]) -> str:
    """A tag whose snippet queued ``[method, ...args]`` in ``queue``: replay it, then record
    each later call of ``owner.<method>`` (``_cio``, ``Attribution``, ``woopra`` with ``_e``)."""
    names = ", ".join(repr(m) for m in methods)
    return f"""(function () {{
  var owner = window.{owner}; var q = {queue} || [];
  var replay = Array.prototype.slice.call(q);
  [{names}].forEach(function (m) {{
    owner[m] = function () {{
      window.__yard.record({vendor!r}, [m].concat(Array.prototype.slice.call(arguments)));
      return owner;
    }};
  }});
  for (var i = 0; i < replay.length; i++) window.__yard.record({vendor!r}, replay[i]);
}})();"""


ATTRIBUTION = (
    method_queue(
        "attribution", "window.Attribution", "Attribution", ["page", "track", "identify", "group", "alias"]
    )
    + "window.__yard.record('attribution-project', [window.Attribution.projectId]);"
)

CUSTOMER_IO = (
    "window.__yard.record('cio-tag', [document.getElementById('cio-tracker').getAttribute('data-site-id')]);"
    + method_queue("cio", "window._cio", "_cio", ["identify", "track", "page"])
)

WOOPRA = method_queue("woopra", "window.woopra._e", "woopra", ["config", "track", "identify", "push"])

MIXPANEL = """(function () {
  var mp = window.mixpanel, slice = Array.prototype.slice;
  function recorder(name) {
    return function () { window.__yard.record('mixpanel', [name].concat(slice.call(arguments))); };
  }
  window.__yard.record('mixpanel-init', mp._i[0]);
  var people = slice.call(mp.people).map(function (c) { return ['people.' + c[0]].concat(c.slice(1)); });
  var queued = slice.call(mp).concat(people);
  for (var i = 0; i < queued.length; i++) window.__yard.record('mixpanel', queued[i]);
  ['track', 'identify', 'register', 'set_group', 'alias'].forEach(function (m) { mp[m] = recorder(m); });
  mp.people.set = recorder('people.set');
})();"""

KEEN = """window.KeenTracking = function (config) {
  window.__yard.record('keen-init', [config]);
  this.recordEvent = function () { window.__yard.record('keen', arguments); };
};"""

INTERCOM = """(function () {
  var queued = (window.Intercom && window.Intercom.q) || [];
  window.Intercom = function () { window.__yard.record('intercom', arguments); };
  for (var i = 0; i < queued.length; i++) window.__yard.record('intercom', queued[i]);
})();"""
