// LinkedIn Insight Tag: insight.min.js with _linkedin_partner_id; the tag's load is the page
// view; mapped track events are lintrk('track', {conversion_id, event_id}) — event_id =
// messageId, the eventId of our Conversions API delivery, for hybrid deduplication.
import { register, loadScript, mapped } from '../runtime.js'

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
    const conversion = mapped(settings.conversionMapping, event.event)
    if (!conversion) return
    window.lintrk('track', { conversion_id: Number(conversion) || conversion, event_id: event.messageId })
  },
})
