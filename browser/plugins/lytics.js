// Lytics: the JavaScript tag (c.lytics.io/api/tag/<cid>/latest.min.js, window.jstag, called once
// loaded): jstag.init({cid, stream}), then jstag.send(stream, data) for track (data = properties
// plus _e = event name, as our server delivery flattens them), identify (traits with user_id)
// and page (jstag.pageView).
import { later, notLoaded, props, register, traits, whenLoaded } from '../runtime.js'

function ids(event) {
  return { user_id: event.userId, anonymous_id: event.anonymousId }
}

register('lytics', {
  name: 'Lytics',
  init(s, env) {
    const src = 'https://c.lytics.io/api/tag/' + encodeURIComponent(s.cid || '') + '/latest.min.js'
    env.state.tag = s.cid
      ? whenLoaded(src, () => window.jstag && typeof window.jstag.send === 'function')
      : notLoaded('Lytics', 'no account id (cid) is set: device mode sends nothing')
    later(env.state.tag, 'Lytics', () => window.jstag.init({ cid: String(s.cid), stream: s.stream || 'default', src }))
  },
  track(event, s, env) {
    later(env.state.tag, 'Lytics', () =>
      window.jstag.send(s.stream || 'default', Object.assign({ _e: event.event }, props(event), ids(event))),
    )
  },
  identify(event, s, env) {
    later(env.state.tag, 'Lytics', () => window.jstag.send(s.stream || 'default', Object.assign({}, traits(event), ids(event))))
  },
  page(event, s, env) {
    later(env.state.tag, 'Lytics', () => window.jstag.pageView(s.stream || 'default'))
  },
})
