// Rubicon (Magnite): the conversion / segment pixel URL Magnite issued, fired as an image on
// page views and track events, with the event name and a cache buster appended.
import { register, pixel, query } from '../runtime.js'

function fire(settings, params) {
  const url = settings.pixelUrl
  pixel(url + (url.indexOf('?') < 0 ? '?' : '&') + query(Object.assign({ cb: Date.now() }, params)))
}

register('rubicon', {
  name: 'Rubicon',
  page(event, settings) {
    fire(settings, { event: 'page', page: event.name })
  },
  track(event, settings) {
    fire(settings, { event: event.event, order_id: (event.properties || {}).order_id })
  },
})
