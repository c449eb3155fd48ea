// Segment's maintained browser destinations (@segment/browser-destinations, pinned in
// package.json), served from /v1/plugins/segment/<bundle>/bundle.js, behind our gate.
//
// The wrapper is an ordinary Eventyard plugin (same consent / integrations / allow-list rules):
// on the first call that passes, it loads Segment's bundle, calls its factory with the settings
// translated to Segment's names plus the subscriptions (which action runs for which events, with
// Segment's default field mappings), and loads the action plugins; every call is then handed to
// them. Waiting for the vendor is bounded, so a tag that never loads only loses its own calls.
import { bounded, CALL_TIMEOUT_MS, loadScript, register, warn } from '../runtime.js'

function start(definition, settings, env) {
  const url = settings.eventyard.pluginsUrl + '/segment/' + definition.bundle + '/bundle.js'
  return loadScript(url).then((ok) => {
    const factory = window[definition.library]
    if (!ok || typeof factory !== 'function') throw new Error('could not load ' + url)
    const options = Object.assign(definition.settings(settings), { subscriptions: definition.subscriptions })
    return Promise.resolve(factory(options)).then((plugins) => {
      const list = Array.isArray(plugins) ? plugins : [plugins]
      const context = { event: { type: 'track' }, log() {}, stats: { increment() {}, gauge() {} } }
      return Promise.all(list.map((p) => p.load(context, env.analytics))).then(() => list)
    })
  })
}

export function registerSegment(slug, definition) {
  const forward = (type) => (event, settings, env, ctx) => {
    if (!env.state.ready) {
      env.state.ready = start(definition, settings, env)
      env.state.ready.catch((error) => warn(definition.name, 'not loaded', error))
    }
    return bounded(env.state.ready, CALL_TIMEOUT_MS).then((plugins) =>
      Promise.all((plugins || []).filter((p) => typeof p[type] === 'function').map((p) => p[type](ctx))),
    )
  }
  const gated = { name: definition.name }
  ;['track', 'page', 'identify', 'group', 'alias'].forEach((type) => {
    gated[type] = forward(type)
  })
  register(slug, gated)
}
