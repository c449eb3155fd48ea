// Customer.io: the JavaScript snippet's tag (assets.customer.io/assets/track.js, track-eu.js
// for EU workspaces; id cio-tracker, data-site-id) with its _cio pre-load queue.
// identify -> _cio.identify({id, created_at, ...traits}) (Customer.io needs a known id),
// track -> _cio.track(event, properties), page -> _cio.page(url, properties).
import { loadScript, pageUrl, props, queueMethods, register, traits } from '../runtime.js'

register('customer-io', {
  name: 'Customer.io',
  init(s) {
    const cio = (window._cio = window._cio || [])
    if (!cio.identify) queueMethods(cio, ['load', 'identify', 'sidentify', 'track', 'page', 'on', 'off'], cio)
    const host = s.datacenter === 'EU' ? 'track-eu.js' : 'track.js'
    loadScript('https://assets.customer.io/assets/' + host, {
      id: 'cio-tracker',
      'data-site-id': String(s.siteID),
      'data-use-array-params': 'true',
    })
  },
  identify(event) {
    if (!event.userId) return
    const t = traits(event)
    const person = Object.assign({}, t, { id: event.userId })
    if (t.createdAt && !t.created_at) person.created_at = Math.floor(new Date(t.createdAt).getTime() / 1000)
    delete person.createdAt
    window._cio.identify(person)
  },
  track(event) {
    window._cio.track(event.event, props(event))
  },
  page(event) {
    window._cio.page(pageUrl(event), Object.assign({ name: event.name }, props(event)))
  },
})
