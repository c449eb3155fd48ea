// Google Analytics 4 on web streams: Segment's maintained "Google Analytics 4 Web" browser
// destination (gtag.js with the G- measurement id) behind our gate. Segment's e-commerce events
// run its recommended-event actions (purchase, add_to_cart, ... with items; transaction_id =
// order_id, which GA4 uses to drop a purchase counted twice, as our Measurement Protocol
// delivery sends), eventsMapping renames events, every other track event is a custom event
// with the properties as parameters, page calls send page_view. The same table as our server
// delivery (include/eventyard/destinations/vendors/google_analytics.py), so a mode switch keeps
// the event names.
import destination from 'segment-destination:google-analytics-4-web'
import { action, fql, registerSegment } from '../lib/segment.js'
import { mapped } from '../runtime.js'

const RECOMMENDED = {
  'Products Searched': 'search',
  'Product List Viewed': 'viewItemList',
  'Product Clicked': 'selectItem',
  'Product Viewed': 'viewItem',
  'Product Added': 'addToCart',
  'Product Added to Wishlist': 'addToWishlist',
  'Product Removed': 'removeFromCart',
  'Cart Viewed': 'viewCart',
  'Checkout Started': 'beginCheckout',
  'Payment Info Entered': 'addPaymentInfo',
  'Order Completed': 'purchase',
  'Order Refunded': 'refund',
  'Promotion Viewed': 'viewPromotion',
  'Promotion Clicked': 'selectPromotion',
  'Signed Up': 'signUp',
  'Logged In': 'login',
}
const PROPERTIES = { '@path': '$.properties' }

function subscriptions(settings) {
  const renamed = settings.eventsMapping || {}
  const named = []
  const list = []
  Object.keys(RECOMMENDED).forEach((event) => {
    if (mapped(renamed, event)) return
    named.push(event)
    list.push(action(destination, RECOMMENDED[event], { subscribe: 'type = "track" and event = ' + fql(event) }))
  })
  Object.keys(renamed).forEach((event) => {
    named.push(event)
    list.push(
      action(destination, 'customEvent', {
        name: 'Mapped ' + event,
        subscribe: 'type = "track" and event = ' + fql(event),
        mapping: { name: { '@literal': String(renamed[event]) }, params: PROPERTIES },
      }),
    )
  })
  const others = ['type = "track"'].concat(named.map((event) => 'event != ' + fql(event))).join(' and ')
  list.push(action(destination, 'customEvent', { subscribe: others, mapping: { params: PROPERTIES } }))
  if (settings.capturePageView !== false) {
    list.push(action(destination, 'setConfigurationFields', { subscribe: 'type = "page"' }))
  }
  return list
}

// piiPropertiesToIgnore: properties that never reach GA4, as on the server side.
function withoutPii(event, settings) {
  const ignored = (settings.piiPropertiesToIgnore || []).map((p) => (typeof p === 'string' ? p : p && p.piiProperty))
  if (!ignored.length || !event.properties) return event
  const properties = Object.assign({}, event.properties)
  ignored.forEach((name) => delete properties[name])
  return Object.assign({}, event, { properties })
}

registerSegment('google-analytics', {
  name: 'Google Analytics',
  bundle: 'google-analytics-4-web',
  settings: (s) => {
    // gtag.js serves web streams; app streams (firebase) are delivered by our servers only.
    if (s.typesOfClient === 'firebase' || !s.measurementId) throw new Error('device mode needs a web stream (measurementId)')
    return { measurementID: s.measurementId }
  },
  subscriptions,
  prepare: withoutPii,
})
