// Acquisio = The Trade Desk Universal Pixel: up_loader.1.1.0.js, then
// new TTDUniversalPixelApi().init(advertiserId, [pixel ids], 'https://insight.adsrvr.org/track/up', params).
import { register, loadScript, props, revenue, mapped } from '../runtime.js'

const TRACK_URL = 'https://insight.adsrvr.org/track/up'

function fire(settings, pixelId, params) {
  window.ttd_dom_ready(() => {
    if (typeof window.TTDUniversalPixelApi !== 'function') return
    new window.TTDUniversalPixelApi().init(settings.advertiserId, [pixelId], TRACK_URL, params || {})
  })
}

register('acquisio', {
  name: 'Acquisio',
  init(settings, env) {
    env.state.loaded = loadScript('https://js.adsrvr.org/up_loader.1.1.0.js')
  },
  page(event, settings, env) {
    if (!settings.trackerId) return
    env.state.loaded.then((ok) => ok && fire(settings, settings.trackerId))
  },
  track(event, settings, env) {
    const pixelId = mapped(settings.eventTagIds, event.event)
    if (!pixelId) return
    const p = props(event)
    const params = { v: revenue(p), vf: p.currency, orderid: p.order_id, td1: event.event }
    env.state.loaded.then((ok) => ok && fire(settings, pixelId, params))
  },
})
