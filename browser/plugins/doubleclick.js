// DoubleClick Floodlight (Campaign Manager 360) through gtag.js: DC-<advertiserId>, and
// gtag('event', 'conversion', {send_to: 'DC-adv/group/activity+counting'}) for each mapped event.
import { register, props, revenue } from '../runtime.js'
import { gtag, loadGtag } from '../lib/gtag.js'

function conversionFor(settings, name) {
  const events = Array.isArray(settings.conversionEvents) ? settings.conversionEvents : []
  return events.find((c) => c && c.eventName === name)
}

register('doubleclick', {
  name: 'DoubleClick',
  init(settings) {
    loadGtag('DC-' + settings.advertiserId)
  },
  page(event, settings) {
    if (!settings.activityTag || !settings.groupTag) return
    gtag()('event', 'conversion', {
      allow_custom_scripts: true,
      send_to: 'DC-' + settings.advertiserId + '/' + settings.groupTag + '/' + settings.activityTag + '+standard',
    })
  },
  track(event, settings) {
    const conversion = conversionFor(settings, event.event)
    if (!conversion) return
    const p = props(event)
    const group = conversion.floodlightGroupTag || settings.groupTag
    const activity = conversion.floodlightActivityTag || settings.activityTag
    const sales = Boolean(conversion.salesTag)
    const params = {
      allow_custom_scripts: true,
      send_to: 'DC-' + settings.advertiserId + '/' + group + '/' + activity + (sales ? '+transactions' : '+standard'),
    }
    if (sales) {
      params.value = revenue(p)
      params.transaction_id = p.order_id || event.messageId
      params.quantity = p.quantity || (Array.isArray(p.products) ? p.products.length : 1)
    }
    const variables = conversion.customVariables || {}
    Object.keys(variables).forEach((property) => {
      if (p[property] !== undefined) params[variables[property]] = p[property]
    })
    gtag()('event', 'conversion', params)
  },
})
