// Meta (Facebook) Pixel: fbevents.js, fbq('init'|'track'|'trackCustom'). eventID = messageId,
// the event_id our Conversions API delivery sends too, so Meta deduplicates hybrid mode.
import { register, loadScript, props, traits, mapped } from '../runtime.js'

// Segment's e-commerce spec -> Meta standard events: the table of our Conversions API delivery
// (vendors/facebook_pixel.py), since Meta deduplicates on event name + event id.
const STANDARD = {
  'Product Viewed': 'ViewContent',
  'Product List Viewed': 'ViewContent',
  'Product Added': 'AddToCart',
  'Product Added to Wishlist': 'AddToWishlist',
  'Checkout Started': 'InitiateCheckout',
  'Payment Info Entered': 'AddPaymentInfo',
  'Products Searched': 'Search',
  'Order Completed': 'Purchase',
}

function customData(properties, settings) {
  const field = (settings.valueFieldIdentifier || 'properties.value').replace(/^properties\./, '')
  const value = properties[field] !== undefined ? properties[field] : properties.revenue
  const products = Array.isArray(properties.products) ? properties.products : []
  const data = Object.assign({}, properties)
  if (value !== undefined) data.value = Number(value)
  data.currency = properties.currency || 'USD'
  const ids = products.map((p) => p.product_id || p.sku || p.id).filter(Boolean)
  if (properties.product_id) ids.unshift(properties.product_id)
  if (ids.length) {
    data.content_ids = ids
    data.content_type = 'product'
  }
  if (properties.order_id) data.order_id = properties.order_id
  if (properties.query) data.search_string = properties.query
  return data
}

register('facebook-pixel', {
  name: 'Facebook Pixel',
  init(settings) {
    if (!window.fbq) {
      const fbq = (window.fbq = function () {
        fbq.callMethod ? fbq.callMethod.apply(fbq, arguments) : fbq.queue.push(arguments)
      })
      if (!window._fbq) window._fbq = fbq
      fbq.push = fbq
      fbq.loaded = true
      fbq.version = '2.0'
      fbq.queue = []
    }
    window.fbq('init', settings.pixelId)
    loadScript('https://connect.facebook.net/en_US/fbevents.js')
  },
  page(event) {
    window.fbq('track', 'PageView', {}, { eventID: event.messageId })
  },
  identify(event, settings) {
    // Advanced matching: Meta hashes these in the pixel before sending.
    const t = traits(event)
    const matching = { external_id: event.userId }
    if (t.email) matching.em = String(t.email).trim().toLowerCase()
    if (t.phone) matching.ph = String(t.phone).replace(/[^0-9]/g, '')
    window.fbq('init', settings.pixelId, matching)
  },
  track(event, settings) {
    const name = mapped(settings.eventsToEvents, event.event) || STANDARD[event.event]
    const data = customData(props(event), settings)
    if (name) window.fbq('track', name, data, { eventID: event.messageId })
    else window.fbq('trackCustom', event.event, data, { eventID: event.messageId })
  },
})

