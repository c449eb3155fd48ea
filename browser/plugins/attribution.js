// Attribution (attributionapp.com): attribution.js, an analytics.js-style tag with a pre-load
// method queue on window.Attribution and the project id in Attribution.projectId (our writeKey
// setting: Attribution publishes it in every page). Every call goes through as it is, like our
// server delivery's /v1/import.
import { loadScript, props, queueMethods, register, traits } from '../runtime.js'

const METHODS = ['trackSubmit', 'trackClick', 'trackLink', 'trackForm', 'pageview', 'identify', 'group',
  'track', 'ready', 'alias', 'page', 'once', 'off', 'on']

register('attribution', {
  name: 'Attribution',
  init(s) {
    if (!window.Attribution || !window.Attribution.invoked) {
      const queue = (window.Attribution = window.Attribution || [])
      queue.invoked = true
      queueMethods(queue, METHODS, queue)
    }
    window.Attribution.projectId = String(s.writeKey)
    loadScript('https://scripts.attributionapp.com/attribution.js', { id: 'attribution-js' })
  },
  page(event) {
    window.Attribution.page(event.category, event.name, props(event))
  },
  track(event) {
    window.Attribution.track(event.event, props(event))
  },
  identify(event) {
    window.Attribution.identify(event.userId, traits(event))
  },
  group(event) {
    window.Attribution.group(event.groupId, event.traits || {})
  },
  alias(event) {
    window.Attribution.alias(event.userId, event.previousId)
  },
})
