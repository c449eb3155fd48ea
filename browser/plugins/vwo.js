// VWO: Segment's maintained "VWO Web Mode (Actions)" browser destination (it loads VWO's
// SmartCode for the account and sends VWO.event / VWO.visitor), wrapped by our gate.
import { registerSegment } from '../lib/segment.js'

registerSegment('vwo', {
  name: 'VWO',
  bundle: 'vwo',
  library: 'vwoDestination',
  settings: (s) => ({ vwoAccountId: Number(s.vwoAccountId), addSmartcode: true }),
  // Segment's presets for this destination (its default subscriptions and field mappings).
  subscriptions: [
    {
      name: 'Track Event',
      partnerAction: 'trackEvent',
      enabled: true,
      subscribe: 'type = "track"',
      mapping: { eventName: { '@path': '$.event' }, properties: { '@path': '$.properties' } },
    },
    {
      name: 'Identify User',
      partnerAction: 'identifyUser',
      enabled: true,
      subscribe: 'type = "identify"',
      mapping: { attributes: { '@path': '$.traits' } },
    },
  ],
})
