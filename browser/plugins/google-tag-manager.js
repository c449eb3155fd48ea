// Google Tag Manager: gtm.js?id=<containerID> (from serverUrl for a first-party / server-side
// container); every call becomes a dataLayer push the container's triggers can use.
import { register, loadScript, props, traits } from '../runtime.js'

register('google-tag-manager', {
  name: 'Google Tag Manager',
  init(settings) {
    window.dataLayer = window.dataLayer || []
    window.dataLayer.push({ 'gtm.start': new Date().getTime(), event: 'gtm.js' })
    const base = (settings.serverUrl || 'https://www.googletagmanager.com').replace(/\/+$/, '')
    loadScript(base + '/gtm.js?id=' + encodeURIComponent(settings.containerID))
  },
  page(event) {
    window.dataLayer.push(Object.assign({ event: 'Loaded a Page', pageName: event.name, userId: event.userId, anonymousId: event.anonymousId }, props(event)))
  },
  identify(event) {
    window.dataLayer.push(Object.assign({ event: 'Identify', userId: event.userId, anonymousId: event.anonymousId }, traits(event)))
  },
  track(event) {
    window.dataLayer.push(Object.assign({ event: event.event, userId: event.userId, anonymousId: event.anonymousId, messageId: event.messageId }, props(event)))
  },
})
