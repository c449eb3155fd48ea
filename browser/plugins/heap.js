// Heap: Segment's maintained "Heap Web (Actions)" browser destination (heap.js for the app id:
// heap.track, heap.identify, heap.addUserProperties) with Segment's presets, behind our gate.
// Heap captures page views itself.
import destination from 'segment-destination:heap'
import { presets, registerSegment } from '../lib/segment.js'

registerSegment('heap', {
  name: 'Heap Analytics',
  bundle: 'heap',
  settings: (s) => {
    const options = { appId: String(s.appId) }
    // EU projects collect through Heap's EU endpoint (the one our server delivery uses too).
    if (s.dataResidency === 'EU') options.trackingServer = 'https://c.eu.heap-api.com'
    return options
  },
  subscriptions: () => presets(destination),
})
