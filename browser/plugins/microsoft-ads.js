// Microsoft Advertising UET: bat.js, uetq = new UET({ti}); page -> 'pageLoad', track ->
// uetq.push('event', action, {...}) with the action our Conversions API delivery names
// (eventNameMapping) and event_id = messageId, its eventId: Microsoft deduplicates a tag event
// and a server event with the same name and id (hybrid mode). Consent mode from adStorageConsent.
import { register, loadScript, mapped, props, revenue } from '../runtime.js'

register('microsoft-ads', {
  name: 'Microsoft Ads',
  init(settings) {
    window.uetq = window.uetq || []
    if (settings.adStorageConsent) {
      window.uetq.push('consent', 'default', { ad_storage: settings.adStorageConsent === 'D' ? 'denied' : 'granted' })
    }
    loadScript('https://bat.bing.com/bat.js').then((loaded) => {
      if (!loaded || typeof window.UET !== 'function') return
      const queue = window.uetq
      window.uetq = new window.UET({ ti: settings.uetTag, enableAutoSpaTracking: false, q: queue })
      window.uetq.push('pageLoad')
    })
  },
  page(event, settings, env) {
    // The first page view is sent when bat.js loads (above); later ones (SPA) explicitly.
    if (env.state.pageSeen) window.uetq.push('pageLoad')
    env.state.pageSeen = true
  },
  track(event, settings) {
    const p = props(event)
    window.uetq.push('event', mapped(settings.eventNameMapping, event.event) || event.event, {
      event_id: event.messageId,
      event_category: p.category,
      event_label: p.label,
      event_value: p.value,
      revenue_value: revenue(p),
      currency: p.currency,
      transaction_id: p.order_id,
    })
  },
})
