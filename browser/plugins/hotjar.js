// Hotjar: the tracking code (static.hotjar.com/c/hotjar-<siteID>.js), hj('identify'|'event'|'stateChange').
import { register, loadScript, traits } from '../runtime.js'

register('hotjar', {
  name: 'Hotjar',
  init(settings) {
    window.hj = window.hj || function () { (window.hj.q = window.hj.q || []).push(arguments) }
    window._hjSettings = { hjid: Number(settings.siteID) || settings.siteID, hjsv: 6 }
    loadScript('https://static.hotjar.com/c/hotjar-' + encodeURIComponent(settings.siteID) + '.js?sv=6')
  },
  page(event) {
    const page = (event.context && event.context.page) || {}
    window.hj('stateChange', (event.properties && event.properties.path) || page.path || window.location.pathname)
  },
  identify(event) {
    window.hj('identify', event.userId || null, traits(event))
  },
  track(event) {
    window.hj('event', event.event)
  },
})
