// First-party ad click ids: read from the landing page's URL, kept 90 days in a first-party
// cookie, and added to every event as context.clickIds = {"gclid": "...", ...} (only the ids
// seen). Server-side conversion APIs read them from there (and fall back to parsing
// context.page.url / search themselves).
import { readJsonCookie, warn } from '../runtime.js'

export const CLICK_ID_PARAMS = [
  'gclid', 'gbraid', 'wbraid', 'dclid', // Google Ads, Campaign Manager
  'msclkid', // Microsoft Advertising
  'li_fat_id', // LinkedIn
  'twclid', // X
  'ttclid', // TikTok
  'fbclid', // Meta
  'epik', // Pinterest
  'ScCid', // Snapchat
  'irclickid', // impact.com
  'rdt_cid', // Reddit
  'obclid', // Outbrain
  'tblci', // Taboola
  'yclid', // Yandex
]
const COOKIE = 'eventyard_click_ids'
const MAX_AGE_SECONDS = 90 * 24 * 3600
const MAX_VALUE_LENGTH = 500

function writeCookie(ids) {
  const secure = window.location.protocol === 'https:' ? '; Secure' : ''
  document.cookie =
    COOKIE + '=' + encodeURIComponent(JSON.stringify(ids)) + '; Max-Age=' + MAX_AGE_SECONDS +
    '; Path=/; SameSite=Lax' + secure
}

// New ids from the current URL replace stored ones of the same kind; the cookie's 90 days
// restart whenever a new id arrives.
function captured() {
  const stored = readJsonCookie(COOKIE)
  let changed = false
  let params
  try {
    params = new URLSearchParams(window.location.search)
  } catch (error) {
    return stored
  }
  CLICK_ID_PARAMS.forEach((name) => {
    const value = params.get(name)
    if (value && value.length <= MAX_VALUE_LENGTH && stored[name] !== value) {
      stored[name] = value
      changed = true
    }
  })
  if (changed) writeCookie(stored)
  return stored
}

function enrich(ctx) {
  try {
    const ids = captured()
    if (Object.keys(ids).length) {
      const event = ctx.event
      event.context = event.context || {}
      event.context.clickIds = Object.assign({}, ids, event.context.clickIds || {})
    }
  } catch (error) {
    warn('click-ids', 'could not read click ids', error)
  }
  return ctx
}

window.eventyard_click_ids = function clickIds() {
  const plugin = {
    name: 'Eventyard Click IDs',
    type: 'enrichment',
    version: '1.0.0',
    isLoaded: () => true,
    load: () => {
      captured()
      return Promise.resolve()
    },
  }
  ;['track', 'page', 'identify', 'group', 'alias', 'screen'].forEach((type) => {
    plugin[type] = enrich
  })
  return plugin
}
