// Taboola pixel: tfa.js for the account; _tfa.push({notify: 'event', name, id}) with
// page_view for pages and the mapped conversion name (plus revenue) for track events.
import { register, loadScript, props, revenue, mapped } from '../runtime.js'

register('taboola', {
  name: 'Taboola',
  init(settings) {
    window._tfa = window._tfa || []
    loadScript('https://cdn.taboola.com/libtrc/unip/' + encodeURIComponent(settings.accountId) + '/tfa.js', {
      id: 'tb_tfa_script',
    })
  },
  page(event, settings) {
    window._tfa.push({ notify: 'event', name: 'page_view', id: Number(settings.accountId) || settings.accountId })
  },
  track(event, settings) {
    const name = mapped(settings.eventNameMapping, event.event)
    if (!name) return
    const p = props(event)
    window._tfa.push({
      notify: 'event',
      name,
      id: Number(settings.accountId) || settings.accountId,
      revenue: revenue(p),
      currency: p.currency,
      orderid: p.order_id,
    })
  },
})
