// Clicky: static.getclicky.com/js with clicky_site_ids; identify sets clicky_custom.visitor,
// page -> clicky.log(url, title, 'pageview'), track -> clicky.goal(name, revenue).
import { register, loadScript, props, traits, revenue, pageUrl } from '../runtime.js'

function whenReady(state, callback) {
  state.loaded.then((ok) => {
    if (ok && window.clicky) callback(window.clicky)
  })
}

register('clicky', {
  name: 'Clicky',
  init(settings, env) {
    window.clicky_site_ids = window.clicky_site_ids || []
    window.clicky_site_ids.push(Number(settings.siteId) || settings.siteId)
    window.clicky_custom = window.clicky_custom || {}
    // Page views come from page() calls, not from the tag's automatic one (no double count).
    window.clicky_custom.pageview_disable = 1
    env.state.loaded = loadScript('https://static.getclicky.com/js')
  },
  page(event, settings, env) {
    whenReady(env.state, (clicky) => clicky.log(pageUrl(event), event.name || document.title, 'pageview'))
  },
  identify(event) {
    window.clicky_custom.visitor = Object.assign({}, traits(event), { username: event.userId })
  },
  track(event, settings, env) {
    whenReady(env.state, (clicky) => clicky.goal(event.event, revenue(props(event))))
  },
})
