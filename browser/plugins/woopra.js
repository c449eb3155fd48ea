// Woopra: the JavaScript tag (static.woopra.com/w.js) with its pre-load queue (woopra._e of
// [method, ...args]); woopra.config({domain: projectName}). page -> woopra.track('pv', {url,
// title}); track -> woopra.track(event, properties + message_id, as our server sends ce_message_id);
// identify -> woopra.identify({id, ...traits}).push().
import { loadScript, pageUrl, props, queueMethods, register, traits } from '../runtime.js'

const METHODS = ['call', 'cancelAction', 'config', 'identify', 'push', 'track', 'trackClick', 'trackForm', 'update', 'visit']

register('woopra', {
  name: 'Woopra',
  init(s) {
    if (!window.woopra) {
      const woopra = (window.woopra = { _e: [] })
      queueMethods(woopra, METHODS, woopra._e)
      window.__woo = window.__woo || {}
      window.__woo.woopra = woopra
    }
    window.woopra.config({ domain: String(s.projectName) })
    loadScript('https://static.woopra.com/w.js')
  },
  page(event) {
    const p = props(event)
    window.woopra.track('pv', { url: pageUrl(event), title: p.title || event.name || document.title })
  },
  track(event) {
    window.woopra.track(event.event, Object.assign({}, props(event), { message_id: event.messageId }))
  },
  identify(event) {
    window.woopra.identify(Object.assign({}, traits(event), event.userId ? { id: event.userId } : {})).push()
  },
})
