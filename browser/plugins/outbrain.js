// Outbrain pixel: obtp.js with obApi's queue; obApi('track', 'PAGE_VIEW') and
// obApi('track', <conversion name>, {orderValue, currency, orderId}).
import { register, loadScript, props, revenue, mapped } from '../runtime.js'

register('outbrain', {
  name: 'OutBrain',
  init(settings) {
    if (!window.obApi) {
      const api = (window.obApi = function () {
        api.dispatch ? api.dispatch.apply(api, arguments) : api.queue.push(arguments)
      })
      api.version = '1.1'
      api.loaded = true
      api.marketerId = settings.marketerId
      api.queue = []
    }
    loadScript('https://amplify.outbrain.com/cp/obtp.js')
  },
  page() {
    window.obApi('track', 'PAGE_VIEW')
  },
  track(event, settings) {
    const name = mapped(settings.conversionNameMapping, event.event)
    if (!name) return
    const p = props(event)
    window.obApi('track', name, { orderValue: revenue(p), currency: p.currency, orderId: p.order_id })
  },
})
