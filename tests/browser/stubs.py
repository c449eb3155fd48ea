"""Stand-ins for the vendors' tags: each takes over the vendor's documented global the way the
real tag does (replaying the queue the snippet built) and records every call it receives with
``window.__yard.record(vendor, args)``."""

from __future__ import annotations


def function_queue(vendor: str, name: str, queue: str, hook: str | None = None) -> str:
    """A global function with a pre-load queue (``fbq.queue``, ``hj.q``, ``twq.queue``...).

    With ``hook`` (``callMethod``, ``exe``, ``dispatch``) the tag installs its dispatcher there,
    as the real one does; otherwise it replaces the global function.
    """
    if hook:
        install = f"f.{hook} = function () {{ window.__yard.record({vendor!r}, arguments); }};"
        call = f"f.{hook}.apply(f, args);"
    else:
        install = f"window.{name} = function () {{ window.__yard.record({vendor!r}, arguments); }};"
        call = f"window.{name}.apply(null, args);"
    return f"""(function () {{
  var f = window.{name}; var queued = (f && f.{queue}) || [];
  {install}
  if (f) f.{queue} = [];
  for (var i = 0; i < queued.length; i++) {{ var args = queued[i]; {call} }}
}})();"""


def array_queue(vendor: str, name: str, *, spread: bool = False) -> str:
    """A global array the page pushes commands into (``criteo_q``, ``_tfa``, ``dataLayer``...).

    ``spread`` records an ``arguments`` object pushed by gtag() as a plain list.
    """
    item = "Array.prototype.slice.call(item)" if spread else "item"
    return f"""(function () {{
  var q = window.{name} = window.{name} || [];
  function take(item) {{ window.__yard.record({vendor!r}, [{item}]); }}
  for (var i = 0; i < q.length; i++) take(q[i]);
  q.push = function () {{ for (var j = 0; j < arguments.length; j++) take(arguments[j]); return 0; }};
}})();"""


HOTJAR = """(function () {
  window.__yard.record('hotjar-settings', [window._hjSettings]);
})();""" + function_queue("hotjar", "hj", "q")

DRIFT = """(function () {
  var d = window.drift;
  for (var i = 0; i < d.length; i++) window.__yard.record('drift', d[i]);
  ['identify', 'track', 'page'].forEach(function (m) {
    d[m] = function () { window.__yard.record('drift', [m].concat(Array.prototype.slice.call(arguments))); };
  });
})();"""

LUCKY_ORANGE = """(function () {
  var LO = {
    $internal: { ready: function () { return Promise.resolve(); } },
    visitor: { identify: function () { window.__yard.record('lucky-orange', ['identify'].concat(Array.prototype.slice.call(arguments))); } },
    track: function () { window.__yard.record('lucky-orange', ['track'].concat(Array.prototype.slice.call(arguments))); }
  };
  var q = window.LOQ || [];
  function run(item) { if (item[0] === 'ready') item[1](LO); }
  for (var i = 0; i < q.length; i++) run(q[i]);
  window.LOQ = { push: function (item) { run(item); } };
})();"""

UET = """(function () {
  window.UET = function (options) {
    window.__yard.record('uet-init', [options.ti, options.q.slice()]);
  };
  window.UET.prototype.push = function () { window.__yard.record('uet', arguments); };
})();"""

TTD = """(function () {
  window.ttd_dom_ready = function (callback) { callback(); };
  window.TTDUniversalPixelApi = function () {};
  window.TTDUniversalPixelApi.prototype.init = function () { window.__yard.record('ttd', arguments); };
})();"""

KENSHOO = (
    """window.kenshoo = { trackConversion: function () { window.__yard.record('kenshoo', arguments); } };"""
)

CLICKY = """(function () {
  window.__yard.record('clicky-init', [window.clicky_site_ids, window.clicky_custom]);
  window.clicky = {
    log: function () { window.__yard.record('clicky', ['log'].concat(Array.prototype.slice.call(arguments))); },
    goal: function () { window.__yard.record('clicky', ['goal'].concat(Array.prototype.slice.call(arguments))); }
  };
})();"""

APP_MEASUREMENT = """(function () {
  function snapshot(s) {
    var out = {};
    Object.keys(s).forEach(function (k) { if (typeof s[k] !== 'function') out[k] = s[k]; });
    return out;
  }
  window.s_gi = function (rsid) {
    window.__yard.record('adobe', ['s_gi', rsid]);
    return {
      t: function () { window.__yard.record('adobe', ['t', snapshot(this)]); },
      tl: function (a, type, name) { window.__yard.record('adobe', ['tl', type, name, snapshot(this)]); }
    };
  };
})();"""

EXPONEA = """(function () {
  var e = window.exponea; var queued = e._;
  ['start', 'identify', 'track', 'update'].forEach(function (m) {
    e[m] = function () { window.__yard.record('bloomreach', [m].concat(Array.prototype.slice.call(arguments))); };
  });
  for (var i = 0; i < queued.length; i++) e[queued[i][0]].apply(e, queued[i][1]);
  e._ = [];
})();"""

PEBBLE_POST = """(function () {
  var pp = window._pp;
  window.__yard.record('pebble-post', [{siteId: pp.siteId, siteUId: pp.siteUId, email: pp.email,
    orderId: pp.orderId, orderValue: pp.orderValue}]);
})();"""

VWO_SMARTCODE = """(function () {
  window.__yard.record('vwo-smartcode', [location.href]);
  var q = window.VWO = window.VWO || [];
  for (var i = 0; i < q.length; i++) window.__yard.record('vwo', q[i]);
  q.push = function (item) { window.__yard.record('vwo', item); return 0; };
  if (window._vwo_code) window._vwo_code.finish();
})();"""
