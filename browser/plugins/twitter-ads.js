// X (Twitter) pixel: uwt.js, twq('config', pixelId) (counts the page view) and
// twq('event', 'tw-<pixel>-<event>', {...}) with conversion_id = messageId (shared with our
// Conversions API delivery, for hybrid deduplication).
import { register, loadScript, props, revenue, traits, mapped } from '../runtime.js'

let email = ''

register('twitter-ads', {
  name: 'Twitter Ads',
  init(settings) {
    if (!window.twq) {
      const twq = (window.twq = function () {
        twq.exe ? twq.exe.apply(twq, arguments) : twq.queue.push(arguments)
      })
      twq.version = '1.1'
      twq.queue = []
    }
    window.twq('config', settings.pixelId)
    loadScript('https://static.ads-twitter.com/uwt.js')
  },
  page() {},
  identify(event) {
    email = traits(event).email || email
  },
  track(event, settings) {
    const id = mapped(settings.twitterAdsEventNames, event.event)
    if (!id) return
    const p = props(event)
    const params = { value: revenue(p), currency: p.currency, conversion_id: event.messageId }
    if (Array.isArray(p.products)) {
      params.contents = p.products.map((product) => ({
        content_id: product.product_id || product.sku,
        content_name: product.name,
        content_price: product.price,
        num_items: product.quantity,
      }))
    }
    if (email) params.email_address = email
    window.twq('event', id, params)
  },
})
