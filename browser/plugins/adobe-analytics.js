// Adobe Analytics: the customer's AppMeasurement.js (Adobe publishes no CDN copy) and the s
// object: s_gi(reportSuiteIds), page -> s.pageName + s.t(), track -> s.events (mapped) +
// eVars/props + s.tl(true, 'o', name), identify -> s.visitorID.
import { register, loadScript, props, mapped } from '../runtime.js'

function assign(s, properties, mapping, prefix) {
  const vars = []
  Object.keys(mapping || {}).forEach((property) => {
    if (properties[property] === undefined) return
    const target = String(mapping[property])
    const name = target.indexOf(prefix) === 0 ? target : prefix + target
    s[name] = String(properties[property])
    vars.push(name)
  })
  return vars
}

function reporter(settings, state) {
  if (!state.s && typeof window.s_gi === 'function') {
    const suites = settings.reportSuiteIds
    const s = window.s_gi(Array.isArray(suites) ? suites.join(',') : suites)
    if (settings.trackingServerUrl) s.trackingServer = settings.trackingServerUrl
    if (settings.trackingServerSecureUrl) s.trackingServerSecure = settings.trackingServerSecureUrl
    if (settings.marketingCloudOrgId) s.marketingCloudOrgID = settings.marketingCloudOrgId
    if (state.visitorID) s.visitorID = state.visitorID
    state.s = s
  }
  return state.s
}

function whenReady(settings, state, callback) {
  state.loaded.then((ok) => {
    const s = ok && reporter(settings, state)
    if (s) callback(s)
  })
}

register('adobe-analytics', {
  name: 'Adobe Analytics',
  init(settings, env) {
    env.state.loaded = settings.appMeasurementUrl ? loadScript(settings.appMeasurementUrl) : Promise.resolve(false)
  },
  page(event, settings, env) {
    whenReady(settings, env.state, (s) => {
      const p = props(event)
      s.pageName = event.name || p.title || document.title
      s.pageURL = p.url || window.location.href
      assign(s, p, settings.eVarMapping, 'eVar')
      assign(s, p, settings.propMapping, 'prop')
      s.t()
    })
  },
  identify(event, settings, env) {
    env.state.visitorID = event.userId
    if (env.state.s) env.state.s.visitorID = event.userId
  },
  track(event, settings, env) {
    const events = mapped(settings.eventsToAdobeEvents, event.event)
    if (!events) return
    whenReady(settings, env.state, (s) => {
      const p = props(event)
      s.events = events
      const vars = ['events']
        .concat(assign(s, p, settings.eVarMapping, 'eVar'))
        .concat(assign(s, p, settings.propMapping, 'prop'))
      if (p.order_id) {
        s.purchaseID = String(p.order_id)
        vars.push('purchaseID')
      }
      s.linkTrackVars = vars.join(',')
      s.linkTrackEvents = events
      s.tl(true, 'o', event.event)
    })
  },
})
