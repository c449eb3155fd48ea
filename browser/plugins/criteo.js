// Criteo OneTag: ld.js?a=<accountId>, criteo_q.push({event: 'setAccount'}, {event: 'setSiteType'},
// {event: 'setEmail'}, {event: 'viewItem' | 'viewList' | 'viewBasket' | 'trackTransaction' | ...}).
import { register, loadScript, props, traits, mapped } from '../runtime.js'

const EVENTS = {
  'Product Viewed': 'viewItem',
  'Product List Viewed': 'viewList',
  'Cart Viewed': 'viewBasket',
  'Order Completed': 'trackTransaction',
}

function items(p) {
  const products = Array.isArray(p.products) ? p.products : []
  return products.map((product) => ({
    id: String(product.product_id || product.sku || product.id),
    price: product.price,
    quantity: product.quantity || 1,
  }))
}

function push(settings, state, event) {
  window.criteo_q = window.criteo_q || []
  const head = [
    { event: 'setAccount', account: Number(settings.accountId) || settings.accountId },
    { event: 'setSiteType', type: settings.siteType || 'd' },
  ]
  // The raw (trimmed, lower-cased) address: OneTag hashes it itself (hash_method none).
  if (state.email) head.push({ event: 'setEmail', email: [state.email], hash_method: 'none' })
  window.criteo_q.push.apply(window.criteo_q, head.concat([event]))
}

register('criteo', {
  name: 'Criteo',
  init(settings) {
    window.criteo_q = window.criteo_q || []
    loadScript('https://dynamic.criteo.com/js/ld/ld.js?a=' + encodeURIComponent(settings.accountId))
  },
  page(event, settings, env) {
    const path = ((event.context && event.context.page) || {}).path || window.location.pathname
    if (path === '/' || event.name === 'Home') push(settings, env.state, { event: 'viewHome' })
  },
  identify(event, settings, env) {
    const email = traits(event).email
    if (email) env.state.email = String(email).trim().toLowerCase()
  },
  track(event, settings, env) {
    const name = mapped(settings.eventsMapping, event.event) || EVENTS[event.event]
    if (!name) return
    const p = props(event)
    const criteoEvent = { event: name }
    if (name === 'viewItem') criteoEvent.item = String(p.product_id || p.sku || '')
    else if (name === 'viewList') criteoEvent.item = items(p).map((i) => i.id)
    else if (name === 'viewBasket') criteoEvent.item = items(p)
    else if (name === 'trackTransaction') {
      criteoEvent.id = p.order_id || event.messageId
      criteoEvent.currency = p.currency
      criteoEvent.item = items(p)
    }
    push(settings, env.state, criteoEvent)
  },
})
