// Drift: the widget snippet (js.driftt.com/include/<5-minute cache buster>/<embedId>.js),
// drift.load(embedId), drift.page / identify / track.
import { register, loadScript, traits, props } from '../runtime.js'

const METHODS = ['identify', 'config', 'track', 'reset', 'debug', 'show', 'ping', 'page', 'hide', 'off', 'on']

register('drift', {
  name: 'Drift',
  init(settings) {
    const drift = (window.driftt = window.drift = window.driftt || [])
    if (!drift.init && !drift.invoked) {
      drift.invoked = true
      drift.methods = METHODS
      drift.factory = (method) =>
        function () {
          const args = Array.prototype.slice.call(arguments)
          args.unshift(method)
          drift.push(args)
          return drift
        }
      METHODS.forEach((method) => { drift[method] = drift.factory(method) })
      drift.load = (id) => {
        const cacheBuster = 3e5 * Math.ceil(new Date() / 3e5)
        loadScript('https://js.driftt.com/include/' + cacheBuster + '/' + encodeURIComponent(id) + '.js')
      }
    }
    drift.SNIPPET_VERSION = '0.3.1'
    drift.load(settings.embedId)
  },
  page(event) {
    window.drift.page(event.name || (event.properties && event.properties.title) || document.title)
  },
  identify(event) {
    window.drift.identify(event.userId, traits(event))
  },
  track(event) {
    window.drift.track(event.event, props(event))
  },
})
