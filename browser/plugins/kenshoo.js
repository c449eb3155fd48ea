// Kenshoo (Skai) conversion tag: kenshoo.js?cid=<cid>, then
// kenshoo.trackConversion(serverId, cid, {conversionType, revenue, currency, orderId, promoCode}).
import { register, loadScript, props, revenue, mapped } from '../runtime.js'

register('kenshoo', {
  name: 'Kenshoo',
  init(settings, env) {
    env.state.loaded = loadScript('https://services.xg4ken.com/js/kenshoo.js?cid=' + encodeURIComponent(settings.cid))
  },
  page() {},
  track(event, settings, env) {
    const conversionType = mapped(settings.conversionTypeMapping, event.event)
    if (!conversionType) return
    const p = props(event)
    const params = {
      conversionType,
      revenue: revenue(p) || 0,
      currency: p.currency || 'USD',
      orderId: p.order_id || '',
      promoCode: p.coupon || '',
    }
    env.state.loaded.then((ok) => {
      if (ok && window.kenshoo) window.kenshoo.trackConversion(settings.serverId, settings.cid, params)
    })
  },
})
