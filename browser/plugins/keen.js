// Keen: keen-tracking.js (KeenTracking, called once loaded) with the project id and the
// browser write key (a write-only access key; the server's write key never reaches the page).
// track -> recordEvent(event, ...) and page -> recordEvent("Viewed {category} {name} Page", ...),
// the collections and fields our server delivery writes (messageId included).
import { later, notLoaded, pageName, pageUrl, props, register, traits, whenLoaded } from '../runtime.js'

const SDK = 'https://cdn.jsdelivr.net/npm/keen-tracking@4/dist/keen-tracking.min.js'

function record(event, collection, env) {
  later(env.state.sdk, 'Keen', () => {
    const body = Object.assign({}, props(event), {
      messageId: event.messageId,
      userId: event.userId,
      anonymousId: event.anonymousId,
      user: { userId: event.userId || event.anonymousId, traits: traits(event) },
      page_url: pageUrl(event),
    })
    env.state.client.recordEvent(collection, body)
  })
}

register('keen', {
  name: 'Keen',
  init(s, env) {
    env.state.sdk = s.browserWriteKey
      ? whenLoaded(SDK, () => typeof window.KeenTracking === 'function')
      : notLoaded('Keen', 'no browser write key is set: device mode sends nothing')
    later(env.state.sdk, 'Keen', () => {
      env.state.client = new window.KeenTracking({ projectId: String(s.projectID), writeKey: String(s.browserWriteKey) })
    })
  },
  track(event, s, env) {
    record(event, event.event, env)
  },
  page(event, s, env) {
    record(event, pageName(event), env)
  },
})
