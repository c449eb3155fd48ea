// Segment's maintained browser destinations (@segment/browser-destinations, pinned in
// package.json), served from /v1/plugins/segment/<bundle>/bundle.js, behind our gate.
//
// The wrapper is an ordinary Eventyard plugin (same consent / integrations / allow-list rules):
// on the first call that passes, it loads Segment's bundle, calls its factory with the settings
// translated to Segment's names plus the subscriptions (which action runs for which events,
// with the field mappings Segment ships as defaults: `destination` is the build-time
// description of the pinned package, see browser/build.mjs), and loads the action plugins;
// every call is then handed to them. Waiting for the vendor is bounded, so a tag that never
// loads only loses its own calls.
import { bounded, CALL_TIMEOUT_MS, loadScript, register, warn } from '../runtime.js'

// Segment's presets (its default subscriptions), enabled.
export function presets(destination) {
  return destination.presets.map((preset) => Object.assign({ enabled: true }, preset))
}

// One action of the destination with its default mapping; `options.subscribe` replaces its
// default subscription (FQL), `options.mapping` overrides fields of its default mapping.
export function action(destination, key, options) {
  const spec = destination.actions[key]
  if (!spec) throw new Error('no action ' + key + ' in ' + destination.name)
  options = options || {}
  return {
    name: options.name || key,
    partnerAction: key,
    enabled: true,
    subscribe: options.subscribe || spec.subscribe,
    mapping: Object.assign({}, spec.mapping, options.mapping || {}),
  }
}

// An FQL string literal.
export function fql(value) {
  return JSON.stringify(String(value))
}

function start(definition, settings, env) {
  const url = settings.eventyard.pluginsUrl + '/segment/' + definition.bundle + '/bundle.js'
  return loadScript(url).then((ok) => {
    const factory = window[definition.bundle + 'Destination']
    if (!ok || typeof factory !== 'function') throw new Error('could not load ' + url)
    const options = Object.assign(definition.settings(settings), {
      subscriptions: definition.subscriptions(settings),
    })
    return Promise.resolve(factory(options)).then((plugins) => {
      const list = Array.isArray(plugins) ? plugins : [plugins]
      const context = { event: { type: 'track' }, log() {}, stats: { increment() {}, gauge() {} } }
      return Promise.all(list.map((p) => p.load(context, env.analytics))).then(() => list)
    })
  })
}

function withEvent(ctx, event) {
  return Object.assign(Object.create(Object.getPrototypeOf(ctx)), ctx, { event })
}

// registerSegment(slug, {name, bundle, settings(ours) -> Segment's, subscriptions(ours) -> list,
//                        prepare(event, ours) -> the event Segment's actions see (optional)})
export function registerSegment(slug, definition) {
  const forward = (type) => (event, settings, env, ctx) => {
    if (!env.state.ready) {
      env.state.ready = start(definition, settings, env)
      env.state.ready.catch((error) => warn(definition.name, 'not loaded', error))
    }
    // `prepare` may hand Segment's actions a changed copy of the event (never the page's own).
    const handed = definition.prepare ? withEvent(ctx, definition.prepare(event, settings)) : ctx
    return bounded(env.state.ready, CALL_TIMEOUT_MS).then((plugins) =>
      Promise.all((plugins || []).filter((p) => typeof p[type] === 'function').map((p) => p[type](handed))),
    )
  }
  const gated = { name: definition.name }
  ;['track', 'page', 'identify', 'group', 'alias'].forEach((type) => {
    gated[type] = forward(type)
  })
  register(slug, gated)
}
