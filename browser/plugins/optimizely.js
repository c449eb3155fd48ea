// Optimizely Web: the project snippet (cdn.optimizely.com/js/<projectID>.js) and its
// window.optimizely push API: {type: 'user', attributes}, {type: 'page', pageName},
// {type: 'event', eventName, tags} (revenue in cents, as Optimizely requires).
import { register, loadScript, props, traits } from '../runtime.js'

function push(command) {
  window.optimizely = window.optimizely || []
  window.optimizely.push(command)
}

function apiName(name) {
  return String(name).trim().toLowerCase().replace(/[^a-z0-9]+/g, '_')
}

register('optimizely', {
  name: 'Optimizely',
  init(settings) {
    window.optimizely = window.optimizely || []
    loadScript('https://cdn.optimizely.com/js/' + encodeURIComponent(settings.projectID) + '.js')
  },
  page(event) {
    if (event.name) push({ type: 'page', pageName: apiName(event.name) })
  },
  identify(event) {
    push({ type: 'user', attributes: Object.assign({}, traits(event), { userId: event.userId }) })
  },
  track(event) {
    const tags = Object.assign({}, props(event))
    if (tags.revenue !== undefined) tags.revenue = Math.round(Number(tags.revenue) * 100)
    push({ type: 'event', eventName: event.event, tags })
  },
})
