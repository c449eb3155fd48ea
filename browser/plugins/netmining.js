// Netmining: the customer's legacy tag (Netmining no longer publishes an API): loaded on page
// views, and fired again as an image with the event name for track events.
import { register, loadScript, pixel, query } from '../runtime.js'

register('netmining', {
  name: 'Netmining',
  page(event, settings) {
    loadScript(settings.tagUrl)
  },
  track(event, settings) {
    const url = settings.tagUrl
    pixel(url + (url.indexOf('?') < 0 ? '?' : '&') + query({ event: event.event, cb: Date.now() }))
  },
})
