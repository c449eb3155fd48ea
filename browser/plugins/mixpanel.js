// Mixpanel: the JavaScript library (cdn.mxpnl.com mixpanel-2-latest.min.js) loaded the way
// Mixpanel's snippet does: window.mixpanel starts as an array that queues [method, ...args]
// (people.* on mixpanel.people) with the init arguments in mixpanel._i; the library replays
// them. track -> mixpanel.track(event, {...properties, $insert_id}) with $insert_id = the last 36
// characters of messageId, as our /import delivery sends, so Mixpanel keeps an event once;
// page -> the page event our server names; identify -> mixpanel.identify (+ people.set when
// `people` is on); group -> set_group; superProperties -> register.
import { loadScript, pageName, props, register, traits } from '../runtime.js'

const METHODS = ('disable time_event track track_pageview track_links track_forms track_with_groups add_group ' +
  'set_group remove_group register register_once alias unregister identify name_tag set_config reset ' +
  'opt_in_tracking opt_out_tracking has_opted_in_tracking has_opted_out_tracking clear_opt_in_out_tracking ' +
  'start_batch_senders people.set people.set_once people.unset people.increment people.append people.union ' +
  'people.track_charge people.clear_charges people.delete_user people.remove').split(' ')
const HOSTS = { eu: 'https://api-eu.mixpanel.com', in: 'https://api-in.mixpanel.com' }

function queued(instance) {
  METHODS.forEach((method) => {
    const [owner, name] = method.indexOf('.') > 0 ? [instance.people, method.split('.')[1]] : [instance, method]
    owner[name] = function () {
      owner.push([name].concat(Array.prototype.slice.call(arguments)))
    }
  })
}

function withInsertId(event, properties) {
  return Object.assign({}, properties, { $insert_id: String(event.messageId || '').slice(-36) })
}

function picked(source, names) {
  const out = {}
  ;(names || []).forEach((name) => {
    if (source[name] !== undefined) out[name] = source[name]
  })
  return out
}

register('mixpanel', {
  name: 'Mixpanel',
  init(s) {
    if (!window.mixpanel || !window.mixpanel.__SV) {
      const mixpanel = (window.mixpanel = window.mixpanel || [])
      mixpanel._i = mixpanel._i || []
      mixpanel.people = mixpanel.people || []
      queued(mixpanel)
      mixpanel.__SV = 1.2
    }
    const config = { track_pageview: false, autocapture: false }
    if (HOSTS[s.dataResidency]) config.api_host = HOSTS[s.dataResidency]
    window.mixpanel._i.push([String(s.token), config, 'mixpanel'])
    loadScript('https://cdn.mxpnl.com/libs/mixpanel-2-latest.min.js')
  },
  track(event) {
    window.mixpanel.track(event.event, withInsertId(event, props(event)))
  },
  page(event) {
    window.mixpanel.track(pageName(event), withInsertId(event, props(event)))
  },
  identify(event, s) {
    if (event.userId) window.mixpanel.identify(event.userId)
    const t = traits(event)
    const superProperties = picked(t, s.superProperties)
    if (Object.keys(superProperties).length) window.mixpanel.register(superProperties)
    if (!s.people) return
    const profile = s.setAllTraitsByDefault ? t : picked(t, s.peopleProperties)
    if (Object.keys(profile).length) window.mixpanel.people.set(profile)
  },
  group(event) {
    if (event.groupId) window.mixpanel.set_group('[Segment] Group', String(event.groupId))
  },
  alias(event) {
    if (event.userId && event.previousId) window.mixpanel.alias(event.userId, event.previousId)
  },
})
