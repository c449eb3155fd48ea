// Google Ads conversion tracking (gtag.js with the AW- conversion id): page views go to the
// remarketing tag, mapped track events are conversions (send_to AW-id/label) with
// transaction_id = order id or messageId, which Google uses to deduplicate conversions.
import { register, props, revenue, mapped } from '../runtime.js'
import { gtag, loadGtag } from '../lib/gtag.js'

register('google-ads', {
  name: 'Google AdWords',
  init(settings) {
    loadGtag(settings.conversionId)
  },
  page(event, settings) {
    gtag()('event', 'page_view', { send_to: settings.conversionId, page_title: event.name })
  },
  track(event, settings) {
    const label = mapped(settings.conversionLabels, event.event)
    if (!label) return
    const p = props(event)
    gtag()('event', 'conversion', {
      send_to: settings.conversionId + '/' + label,
      value: revenue(p),
      currency: p.currency,
      transaction_id: p.order_id || event.messageId,
    })
  },
})
