// PebblePost: the site tag (cdn.pbbl.co/r/<siteId>.js) reads window._pp when it runs — siteId,
// siteUId (the site's user id), email, orderId, orderValue, tags, endUrl. As Segment's
// PebblePost integration did (written from PebblePost's instructions, which are not public),
// every page and track call sets those fields and adds the tag again, so the tag reports each
// call. See docs/destinations/pebble_post.md for what is documented and what is our reading.
import { appendScript, props, register, traits } from '../runtime.js'

function fire(event, settings, env) {
  const p = props(event)
  const user = env.analytics && typeof env.analytics.user === 'function' ? env.analytics.user() : null
  const known = user ? user.traits() || {} : traits(event)
  const pp = (window._pp = window._pp || {})
  pp.siteId = String(settings.siteId)
  pp.siteUId = event.userId || (user && user.id()) || known.username || ''
  pp.email = known.email || ''
  pp.orderValue = String(p.orderValue || p.value || p.revenue || '')
  pp.orderId = String(p.order_id || '')
  pp.tags = p.tags || ''
  pp.endUrl = p.endUrl || ''
  return appendScript('https://cdn.pbbl.co/r/' + encodeURIComponent(pp.siteId) + '.js')
}

register('pebble-post', {
  name: 'Pebble Post',
  page(event, settings, env) {
    fire(event, settings, env)
  },
  track(event, settings, env) {
    fire(event, settings, env)
  },
})
