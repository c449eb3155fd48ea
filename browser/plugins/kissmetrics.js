// KISSmetrics: the JavaScript tag (i.kissmetrics.io/i.js and scripts.kissmetrics.io/<key>.2.js)
// with its _kmq command queue. track -> ['record', event, properties] (revenue also as "Billing
// Amount"; prefixProperties prefixes them with the event name), page -> record "Viewed ... Page",
// identify -> ['identify', userId] + ['set', traits], alias -> ['alias', userId, previousId] —
// the same names as our server delivery.
import { loadScript, pageName, props, register, traits } from '../runtime.js'

function eventProperties(name, properties, s) {
  const out = {}
  Object.keys(properties).forEach((key) => {
    if (key === 'products') return
    out[s.prefixProperties ? name + ' - ' + key : key] = properties[key]
  })
  if (properties.revenue !== undefined) out['Billing Amount'] = properties.revenue
  return out
}

register('kissmetrics', {
  name: 'KISSmetrics',
  init(s) {
    window._kmq = window._kmq || []
    window._kmk = window._kmk || String(s.apiKey)
    loadScript('https://i.kissmetrics.io/i.js')
    loadScript('https://scripts.kissmetrics.io/' + encodeURIComponent(window._kmk) + '.2.js')
  },
  track(event, s) {
    window._kmq.push(['record', event.event, eventProperties(event.event, props(event), s)])
  },
  page(event, s) {
    const name = pageName(event)
    window._kmq.push(['record', name, eventProperties(name, props(event), s)])
  },
  identify(event) {
    if (event.userId) window._kmq.push(['identify', event.userId])
    const t = traits(event)
    if (Object.keys(t).length) window._kmq.push(['set', t])
  },
  alias(event) {
    if (event.userId && event.previousId) window._kmq.push(['alias', event.userId, event.previousId])
  },
})
