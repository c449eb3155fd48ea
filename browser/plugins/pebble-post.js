// PebblePost: the site tag (cdn.pbbl.co/r/<siteId>.js) with window._pp; the visitor's user
// id as siteUId, and Order Completed as an order (orderId, orderValue) the tag reports.
import { register, loadScript, props, revenue } from '../runtime.js'

register('pebble-post', {
  name: 'Pebble Post',
  init(settings) {
    window._pp = window._pp || []
    window._pp.siteId = String(settings.siteId)
    window._pp.siteUId = ''
    window._pp.orderValue = ''
    window._pp.orderId = ''
    loadScript('https://cdn.pbbl.co/r/' + encodeURIComponent(settings.siteId) + '.js')
  },
  page(event) {
    window._pp.siteUId = event.userId || ''
    window._pp.push(['page', { url: window.location.href, name: event.name }])
  },
  identify(event) {
    window._pp.siteUId = event.userId || ''
  },
  track(event) {
    if (event.event !== 'Order Completed') return
    const p = props(event)
    window._pp.orderId = String(p.order_id || '')
    window._pp.orderValue = String(revenue(p) || '')
    window._pp.push(['order', { orderId: window._pp.orderId, orderValue: window._pp.orderValue }])
  },
})
