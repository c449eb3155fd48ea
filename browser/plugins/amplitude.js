// Amplitude: the Browser SDK 2 (cdn.amplitude.com analytics-browser, whose window.amplitude is
// called once it has loaded). track -> amplitude.track(event, properties, {insert_id}) with
// insert_id = messageId, the id our HTTP API delivery sends, so Amplitude keeps an event once;
// page -> the page event our server delivery names; identify -> setUserId + an Identify with
// $set (and the traits configured for setOnce / add / append / prepend); group -> setGroup.
import { later, pageName, props, register, traits, whenLoaded } from '../runtime.js'

const SDK = 'https://cdn.amplitude.com/libs/analytics-browser-2.11.1-min.js.gz'

function pageEvent(event, s) {
  const name = event.name || props(event).name
  if (s.useUserDefinedPageEventName && s.userProvidedPageEventString) {
    return s.userProvidedPageEventString.replace('{{name}}', name || '').trim() || 'Loaded a Page'
  }
  if (s.trackAllPages || !name) return 'Loaded a Page'
  const category = props(event).category || event.category
  return s.trackCategorizedPages && category ? pageName(event) : 'Viewed ' + name + ' Page'
}

// Event options, as our server delivery fills them: the dedupe id, the ids, and revenue,
// price, quantity and product id from the properties.
function options(event) {
  const o = { insert_id: event.messageId, device_id: event.anonymousId }
  if (event.userId) o.user_id = event.userId
  const p = props(event)
  ;['revenue', 'price', 'quantity'].forEach((key) => {
    if (typeof p[key] === 'number') o[key] = p[key]
  })
  if (p.product_id || p.productId) o.productId = String(p.product_id || p.productId)
  return o
}

register('amplitude', {
  name: 'Amplitude',
  init(s, env) {
    env.state.sdk = whenLoaded(SDK, () => window.amplitude && typeof window.amplitude.init === 'function')
    later(env.state.sdk, 'Amplitude', () => {
      window.amplitude.init(String(s.apiKey), {
        serverZone: s.residencyServer === 'EU' ? 'EU' : 'US',
        defaultTracking: false,
      })
    })
  },
  track(event, s, env) {
    later(env.state.sdk, 'Amplitude', () => window.amplitude.track(event.event, props(event), options(event)))
  },
  page(event, s, env) {
    later(env.state.sdk, 'Amplitude', () => window.amplitude.track(pageEvent(event, s), props(event), options(event)))
  },
  identify(event, s, env) {
    later(env.state.sdk, 'Amplitude', () => {
      const amplitude = window.amplitude
      if (event.userId) amplitude.setUserId(event.userId)
      const identify = new amplitude.Identify()
      const t = traits(event)
      const special = { setOnce: s.traitsToSetOnce, add: s.traitsToIncrement, append: s.traitsToAppend, prepend: s.traitsToPrepend }
      Object.keys(t).forEach((key) => {
        const op = Object.keys(special).find((name) => (special[name] || []).indexOf(key) >= 0) || 'set'
        identify[op](key, t[key])
      })
      amplitude.identify(identify, options(event))
    })
  },
  group(event, s, env) {
    const t = traits(event)
    const type = (s.groupTypeTrait && t[s.groupTypeTrait]) || '[Segment] Group'
    const value = (s.groupValueTrait && t[s.groupValueTrait]) || event.groupId
    if (!value) return
    later(env.state.sdk, 'Amplitude', () => window.amplitude.setGroup(String(type), String(value)))
  },
})
