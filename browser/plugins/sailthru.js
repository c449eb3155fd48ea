// Sailthru (Marigold Engage): the Personalization Engine tag (ak.sail-horizon.com spm.v1.min.js,
// window.Sailthru, called once loaded) with Sailthru.init({customerId}). identify with an email
// -> integration('userSignUp', {email, vars}); Product Added -> integration('addToCart', {items});
// Order Completed -> integration('purchase', {items, purchase_keys.extid = order_id}) — the keys
// our /purchase delivery sends; other track events -> integration('customEvent', {name, vars});
// page -> track('pageview', {url}). Sailthru identifies the visitor by email (sailthru_hid cookie).
import { later, pageUrl, props, register, traits, whenLoaded } from '../runtime.js'

const TAG = 'https://ak.sail-horizon.com/spm/spm.v1.min.js'

function items(properties) {
  const products = Array.isArray(properties.products) ? properties.products : [properties]
  return products
    .filter((p) => p && (p.product_id || p.sku || p.id))
    .map((p) => ({
      id: String(p.product_id || p.sku || p.id),
      title: p.name,
      qty: p.quantity || 1,
      price: Math.round(Number(p.price || 0) * 100), // Sailthru prices are in cents
      url: p.url || window.location.href,
    }))
}

function call(env, name, payload) {
  later(env.state.tag, 'Sailthru', () => window.Sailthru.integration(name, payload))
}

register('sailthru', {
  name: 'Sailthru',
  init(s, env) {
    env.state.tag = whenLoaded(TAG, () => window.Sailthru && typeof window.Sailthru.init === 'function')
    later(env.state.tag, 'Sailthru', () =>
      window.Sailthru.init({ customerId: String(s.customerId), isCustom: true, autoTrackPageview: false }),
    )
  },
  page(event, s, env) {
    later(env.state.tag, 'Sailthru', () => window.Sailthru.track('pageview', { url: pageUrl(event) }))
  },
  identify(event, s, env) {
    const t = traits(event)
    if (!t.email) return
    call(env, 'userSignUp', { email: t.email, vars: Object.assign({ extid: event.userId }, t) })
  },
  track(event, s, env) {
    const p = props(event)
    const email = traits(event).email || p.email
    if (event.event === 'Order Completed') {
      call(env, 'purchase', { email, items: items(p), purchase_keys: { extid: p.order_id } })
    } else if (event.event === 'Product Added') {
      call(env, 'addToCart', { email, items: items(p) })
    } else {
      call(env, 'customEvent', { email, name: event.event, vars: p })
    }
  },
})
