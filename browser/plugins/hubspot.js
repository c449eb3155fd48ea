// HubSpot: Segment's maintained "HubSpot Web (Actions)" browser destination (the tracking code
// js.hs-scripts.com/<hub id>.js: _hsq identify, trackPageView, trackCustomBehavioralEvent) with
// Segment's presets, behind our gate.
import destination from 'segment-destination:hubspot-web'
import { presets, registerSegment } from '../lib/segment.js'

registerSegment('hubspot', {
  name: 'HubSpot',
  bundle: 'hubspot-web',
  settings: (s) => ({ portalId: String(s.hubID), formatCustomBehavioralEventNames: true, loadFormsSDK: false }),
  subscriptions: () => presets(destination),
})
