// Resonate: an image pixel (ds.reson8.com/insights.gif) with advkey / opptykey; page views
// fire evtype=impression, mapped track events evtype=custom with their evkey.
import { register, pixel, query, mapped } from '../runtime.js'

function fire(settings, params) {
  pixel('https://ds.reson8.com/insights.gif?' + query(Object.assign({
    rand: Math.floor(Math.random() * 1e12),
    t: 0,
    pixt: 'resonate',
    advkey: settings.advkey,
    opptykey: settings.opptykey,
  }, params)))
}

register('resonate', {
  name: 'Resonate',
  page(event, settings) {
    fire(settings, { evkey: mapped(settings.eventKeyMapping, 'page'), evtype: 'impression' })
  },
  track(event, settings) {
    const evkey = mapped(settings.eventKeyMapping, event.event)
    if (evkey) fire(settings, { evkey, evtype: 'custom' })
  },
})
