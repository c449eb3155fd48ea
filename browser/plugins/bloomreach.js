// Bloomreach Engagement (ex-Exponea) Web SDK: <apiBaseUrl>/js/exponea.min.js and the exponea
// object: exponea.start({target, token}), identify({hardID: userId}, traits), track(event, props).
import { register, loadScript, props, traits } from '../runtime.js'

const METHODS = ['anonymize', 'initialize', 'identify', 'update', 'track', 'trackLink', 'trackEnhancedEcommerce', 'getHtml', 'showHtml', 'showBanner', 'showWebLayer', 'ping', 'getAbTest', 'loadDependency', 'getRecommendation', 'reloadWebLayers']

register('bloomreach', {
  name: 'Bloom Reach',
  init(settings) {
    const target = (settings.apiBaseUrl || 'https://api.exponea.com').replace(/\/+$/, '')
    if (!window.exponea) {
      const exponea = (window.exponea = { _: [] })
      METHODS.forEach((method) => {
        exponea[method] = function () {
          exponea._.push([method, Array.prototype.slice.call(arguments)])
        }
      })
      exponea.start = function (config) {
        exponea._.push(['start', [config]])
      }
    }
    window.exponea.start({ target, token: settings.webProjectId, track: { visits: true } })
    loadScript(target + '/js/exponea.min.js')
  },
  page(event) {
    window.exponea.track('page_visit', Object.assign({ path: window.location.pathname, title: event.name }, props(event)))
  },
  identify(event, settings) {
    const ids = {}
    ids[settings.hardID || 'registered'] = event.userId
    window.exponea.identify(ids, traits(event))
  },
  track(event) {
    window.exponea.track(event.event, props(event))
  },
})
