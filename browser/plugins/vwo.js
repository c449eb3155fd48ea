// VWO: Segment's maintained "VWO Web Mode (Actions)" browser destination (it loads VWO's
// SmartCode for the account and sends VWO.event / VWO.visitor) with Segment's presets, behind
// our gate.
import destination from 'segment-destination:vwo'
import { presets, registerSegment } from '../lib/segment.js'

registerSegment('vwo', {
  name: 'VWO',
  bundle: 'vwo',
  settings: (s) => ({ vwoAccountId: Number(s.vwoAccountId), addSmartcode: true }),
  subscriptions: () => presets(destination),
})
