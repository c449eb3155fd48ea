// LinkedIn Insight Tag: insight.min.js with _linkedin_partner_id; the tag's load is the page
// view; a track event mapped to conversion rules (comma-separated) is one
// lintrk('track', {conversion_id, event_id}) per rule. event_id is the eventId of our Conversions
// API delivery (messageId, or the order id with deduplicationKey = order_id), for hybrid
// deduplication.
import { register, loadScript, mapped, props } from '../runtime.js'

register('linkedin-insight-tag', {
  name: 'Linkedin Insight Tag',
  init(settings) {
    window._linkedin_partner_id = String(settings.partnerId)
    window._linkedin_data_partner_ids = window._linkedin_data_partner_ids || []
    window._linkedin_data_partner_ids.push(window._linkedin_partner_id)
    if (!window.lintrk) {
      window.lintrk = function (a, b) { window.lintrk.q.push([a, b]) }
      window.lintrk.q = []
    }
    loadScript('https://snap.licdn.com/li.lms-analytics/insight.min.js')
  },
  page() {},
  track(event, settings) {
    const rules = String(mapped(settings.conversionMapping, event.event) || '').split(',')
    const orderId = props(event).order_id
    const eventId = settings.deduplicationKey === 'order_id' && orderId ? String(orderId) : event.messageId
    rules
      .map((rule) => rule.trim())
      .filter(Boolean)
      .forEach((rule) => window.lintrk('track', { conversion_id: Number(rule) || rule, event_id: eventId }))
  },
})
