// Lucky Orange: lo.js?site-id=<siteId>; window.LOQ 'ready' callbacks reach LO.visitor.identify and LO.track.
import { register, loadScript, traits } from '../runtime.js'

function withLO(callback) {
  window.LOQ = window.LOQ || []
  window.LOQ.push(['ready', callback])
}

register('lucky-orange', {
  name: 'Lucky Orange',
  init(settings) {
    window.LOQ = window.LOQ || []
    loadScript('https://tools.luckyorange.com/core/lo.js?site-id=' + encodeURIComponent(settings.siteId), {
      'data-site-id': settings.siteId,
    })
  },
  page() {},
  identify(event) {
    const t = traits(event)
    const profile = Object.assign({}, t, { name: t.name, email: t.email })
    withLO((LO) => LO.$internal.ready('visitor').then(() => LO.visitor.identify(event.userId, profile)))
  },
  track(event) {
    withLO((LO) => LO.track(event.event))
  },
})
