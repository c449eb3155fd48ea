// Retention Science (ReSci) waves tracker: w.js with the _rsq queue: _setSiteId, _setUserId /
// _setUserEmail, _addItem, _setAction, _addOrder / _addOrderItem, _track.
import { register, loadScript, props, traits, revenue, mapped } from '../runtime.js'

const ACTIONS = {
  'Product Viewed': 'shop',
  'Product Added': 'shopping_cart',
  'Cart Viewed': 'shopping_cart',
  'Checkout Started': 'checkout',
  'Order Completed': 'checkout_success',
}

function rsq() {
  window._rsq = window._rsq || []
  return window._rsq
}

register('retention-science', {
  name: 'Retention Science',
  init(settings) {
    rsq().push(['_setSiteId', String(settings.siteId)])
    if (settings.enableOnSite) rsq().push(['_enableOnsite'])
    loadScript('https://d1stxfv94hrhia.cloudfront.net/waves/v2/w.js')
  },
  page(event) {
    if (event.userId) rsq().push(['_setUserId', event.userId])
    rsq().push(['_track'])
  },
  identify(event) {
    rsq().push(['_setUserId', event.userId])
    const email = traits(event).email
    if (email) rsq().push(['_setUserEmail', email])
  },
  track(event, settings) {
    const action = mapped(settings.eventsMapping, event.event) || ACTIONS[event.event]
    if (!action) return
    const p = props(event)
    const products = Array.isArray(p.products) ? p.products : p.product_id ? [p] : []
    if (event.userId) rsq().push(['_setUserId', event.userId])
    if (action === 'checkout_success') {
      rsq().push(['_addOrder', { id: p.order_id, total: revenue(p) }])
      products.forEach((item) =>
        rsq().push(['_addOrderItem', { id: item.product_id || item.sku, name: item.name, price: item.price }]))
    } else {
      products.forEach((item) =>
        rsq().push(['_addItem', { id: item.product_id || item.sku, name: item.name, price: item.price }]))
    }
    rsq().push(['_setAction', action])
    rsq().push(['_track'])
  },
})
