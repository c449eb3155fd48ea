// The shared runtime of Eventyard's device-mode plugins (bundled into each plugin by esbuild).
//
// analytics.js (analytics-next's remote loader) loads /v1/plugins/<name>.js, which assigns a
// factory to window.eventyard_<name>; the loader calls it with the settings the collector sent
// (public settings only) and registers the returned plugin. Every call then goes through the
// same gate before the vendor code sees it:
//   - the call type is one of the integration's callTypes;
//   - a track event passes eventAllowList / eventDenyList;
//   - the message's integrations object does not switch the destination off;
//   - the visitor's consent allows the plugin's consent category: the call's
//     context.consent.categoryPreferences, else the page's `eventyard_consent` cookie
//     (absent = allowed, like Segment's consent model; see consentGiven).
// The vendor tag is injected on the first call that passes the gate, so a visitor who denied
// consent never loads it. Vendor code runs inside try/catch and never returns a promise that
// can hang: analytics.js waits for every destination before the next event, so one broken tag
// must not hold up the others or the collector.

const CALL_TYPES = ['track', 'page', 'identify', 'group', 'alias', 'screen']

export function warn(name, message, error) {
  if (typeof console !== 'undefined') console.warn('[eventyard ' + name + '] ' + message, error || '')
}

const loadedScripts = {}

// Appends an async <script> once per URL; a failed load is logged, never thrown.
export function loadScript(src, attributes) {
  if (!loadedScripts[src]) loadedScripts[src] = appendScript(src, attributes)
  return loadedScripts[src]
}

// Appends an async <script> every time (for tags that report each time they run); resolves
// true when it has loaded, false when it failed.
export function appendScript(src, attributes) {
  return new Promise((resolve) => {
    const script = document.createElement('script')
    script.async = true
    script.src = src
    Object.keys(attributes || {}).forEach((key) => script.setAttribute(key, attributes[key]))
    script.onload = () => resolve(true)
    script.onerror = () => {
      warn('loader', 'could not load ' + src)
      resolve(false)
    }
    const anchor = document.getElementsByTagName('script')[0]
    if (anchor && anchor.parentNode) anchor.parentNode.insertBefore(script, anchor)
    else document.head.appendChild(script)
  })
}

// Resolves true once ready() holds, polling every 50 ms, or false after `ms`.
export function waitFor(ready, ms) {
  return new Promise((resolve) => {
    const started = Date.now()
    const poll = () => {
      let done = false
      try {
        done = Boolean(ready())
      } catch (error) {
        done = false
      }
      if (done) resolve(true)
      else if (Date.now() - started >= ms) resolve(false)
      else setTimeout(poll, 50)
    }
    poll()
  })
}

// For vendor SDKs that are called only once they have loaded (no documented pre-load queue):
// `loaded` is loadScript(url) plus waiting for the SDK's global; `later(loaded, fn)` runs fn
// then, in call order, without making analytics.js wait. A tag that never loads drops them.
export function whenLoaded(src, ready, attributes) {
  return loadScript(src, attributes).then((ok) => ok && waitFor(ready, 10000))
}

// A tag that cannot load for want of a setting: logged once, its calls dropped by later().
export function notLoaded(name, why) {
  warn(name, why)
  return Promise.resolve(false)
}

export function later(loaded, name, fn) {
  loaded.then((ok) => {
    if (!ok) return
    try {
      fn()
    } catch (error) {
      warn(name, 'call failed', error)
    }
  })
}

// A vendor's documented pre-load queue object: each method pushes [method, ...args] onto
// `queue` until the real tag takes over and replays it (Woopra's _e, Attribution's array).
export function queueMethods(target, methods, queue) {
  methods.forEach((method) => {
    target[method] = function () {
      queue.push([method].concat(Array.prototype.slice.call(arguments)))
      return target
    }
  })
  return target
}

// Fires an image beacon (for vendors whose tag is a pixel URL).
export function pixel(url) {
  const image = new Image(1, 1)
  image.src = url
  return image
}

export function query(params) {
  return Object.keys(params)
    .filter((key) => params[key] !== undefined && params[key] !== null && params[key] !== '')
    .map((key) => encodeURIComponent(key) + '=' + encodeURIComponent(params[key]))
    .join('&')
}

function names(list) {
  const out = {}
  ;(Array.isArray(list) ? list : []).forEach((item) => {
    const name = typeof item === 'string' ? item : item && (item.eventName || item.event || item.name)
    if (typeof name === 'string' && name.trim()) out[name.trim()] = true
  })
  return out
}

// A first-party cookie holding URL-encoded JSON, or {} when it is absent or unreadable.
export function readJsonCookie(name) {
  const prefix = name + '='
  const found = document.cookie.split('; ').find((part) => part.indexOf(prefix) === 0)
  if (!found) return {}
  try {
    const value = JSON.parse(decodeURIComponent(found.slice(prefix.length)))
    return value && typeof value === 'object' ? value : {}
  } catch (error) {
    return {}
  }
}

// The page's consent state, for calls that carry none (the snippet's first page() runs before
// any consent code could stamp it): the site's CMP writes {"Analytics": false, ...} here.
export const CONSENT_COOKIE = 'eventyard_consent'

// Whether the visitor allows `category` for this call: the call's own
// context.consent.categoryPreferences (Segment's consent wrappers stamp every event) decides
// when it names the category, else the page's consent cookie, else allowed (Segment's default).
export function consentGiven(category, event) {
  const stamped = ((event.context || {}).consent || {}).categoryPreferences || {}
  if (typeof stamped[category] === 'boolean') return stamped[category]
  const page = readJsonCookie(CONSENT_COOKIE)
  if (typeof page[category] === 'boolean') return page[category]
  return true
}

// Why an event is not for this plugin (a string), or '' when it is.
export function skipReason(type, event, settings, destinationName) {
  const callTypes = Array.isArray(settings.callTypes) ? settings.callTypes : CALL_TYPES
  if (callTypes.indexOf(type) < 0) return 'call type ' + type + ' is off'
  const integrations = event.integrations || {}
  if (integrations[destinationName] === false) return 'integrations.' + destinationName + ' is false'
  if (integrations.All === false && !integrations[destinationName]) return 'integrations.All is false'
  const category = (settings.eventyard || {}).consentCategory
  if (category && !consentGiven(category, event)) return 'consent denied for ' + category
  if (type === 'track') {
    const allow = names(settings.eventAllowList)
    if (Object.keys(allow).length && !allow[event.event]) return 'not on the allow list'
    if (names(settings.eventDenyList)[event.event]) return 'on the deny list'
  }
  return ''
}

// The longest a plugin may keep analytics.js waiting on one call (it waits for every destination
// before the next event), whatever the vendor code does.
export const CALL_TIMEOUT_MS = 4000

export function bounded(promise, ms) {
  return Promise.race([promise, new Promise((resolve) => setTimeout(resolve, ms))])
}

// Builds a plugin from a vendor definition:
//   {name, init(settings, env), track|page|identify|group|alias(event, settings, env, ctx)}
// `init` runs once, on the first event that passes the gate (it installs the vendor's queue
// stub and injects its tag); the call handlers push into the vendor's documented API. A
// handler may return a promise: it is awaited, but never for longer than CALL_TIMEOUT_MS.
export function createPlugin(definition, settings) {
  settings = settings || {}
  let started = false
  const env = { loadScript, pixel, query, state: {}, analytics: null }
  const handler = (type) => (ctx) => {
    const event = ctx.event
    if (!definition[type] || skipReason(type, event, settings, definition.name)) return Promise.resolve(ctx)
    let pending
    try {
      if (!started) {
        started = true
        if (definition.init) definition.init(settings, env)
      }
      pending = definition[type](event, settings, env, ctx)
    } catch (error) {
      warn(definition.name, type + ' failed', error)
    }
    if (!pending || typeof pending.then !== 'function') return Promise.resolve(ctx)
    const settled = pending.then(null, (error) => warn(definition.name, type + ' failed', error))
    return bounded(settled, CALL_TIMEOUT_MS).then(() => ctx)
  }
  const plugin = {
    name: definition.name,
    type: 'destination',
    version: '1.0.0',
    isLoaded: () => true,
    load: (ctx, analytics) => {
      env.analytics = analytics
      return Promise.resolve()
    },
  }
  CALL_TYPES.forEach((type) => {
    plugin[type] = handler(type)
  })
  return plugin
}

// Publishes the factory analytics.js looks up (libraryName = eventyard_<slug with _>).
export function register(slug, definition) {
  const factory = (settings) => createPlugin(definition, settings)
  factory.pluginName = definition.name
  window['eventyard_' + slug.replace(/-/g, '_')] = factory
}

// --- helpers vendor definitions share -------------------------------------------------------

export function props(event) {
  return event.properties || {}
}

export function traits(event) {
  return event.traits || (event.context && event.context.traits) || {}
}

export function revenue(properties) {
  const value = properties.revenue !== undefined ? properties.revenue : properties.total
  return value !== undefined ? value : properties.value
}

export function mapped(map, key) {
  return map && Object.prototype.hasOwnProperty.call(map, key) ? map[key] : undefined
}

export function pageUrl(event) {
  const page = (event.context && event.context.page) || {}
  return (event.properties && event.properties.url) || page.url || window.location.href
}

// Segment's page naming, as our server deliveries use it: "Viewed {category} {name} Page",
// else "Loaded a Page".
export function pageName(event, kind) {
  const p = event.properties || {}
  const parts = [p.category || event.category, event.name || p.name].filter(Boolean)
  return parts.length ? 'Viewed ' + parts.join(' ') + ' ' + (kind || 'Page') : 'Loaded a ' + (kind || 'Page')
}

export function ensureQueue(name) {
  window[name] = window[name] || []
  return window[name]
}
