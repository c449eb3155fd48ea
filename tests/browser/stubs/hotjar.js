// Stand-in for static.hotjar.com/c/hotjar-<id>.js: replays hj.q and records every hj() call.
(function () {
  var queued = (window.hj && window.hj.q) || [];
  window.__yard.record('hotjar-settings', [window._hjSettings]);
  window.hj = function () { window.__yard.record('hotjar', arguments); };
  queued.forEach(function (args) { window.hj.apply(null, args); });
})();
