// Braze: Segment's maintained "Braze Web Mode (Actions)" browser destination (the Braze Web SDK
// from js.appboycdn.com: changeUser and user attributes, logCustomEvent, logPurchase per product)
// with Segment's presets, behind our gate.
import destination from 'segment-destination:braze'
import { presets, registerSegment } from '../lib/segment.js'

// The dashboard cluster (dataCenter) -> the Web SDK endpoint Braze assigns to it.
function sdkEndpoint(dataCenter) {
  const match = /^(US|EU|AU)-(\d\d)$/.exec(String(dataCenter || 'US-01'))
  if (!match) return 'sdk.iad-01.braze.com'
  if (match[1] === 'EU') return 'sdk.fra-' + match[2] + '.braze.eu'
  if (match[1] === 'AU') return 'sdk.au-' + match[2] + '.braze.com'
  return 'sdk.iad-' + match[2] + '.braze.com'
}

registerSegment('braze', {
  name: 'Braze',
  bundle: 'braze',
  settings: (s) => ({
    api_key: String(s.appKey),
    endpoint: sdkEndpoint(s.dataCenter),
    sdkVersion: '4.6',
    automaticallyDisplayMessages: true,
    doNotLoadFontAwesome: true,
  }),
  subscriptions: () => presets(destination),
})
