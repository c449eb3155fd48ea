// Intercom: Segment's maintained "Intercom Web (Actions)" browser destination (the Messenger,
// widget.intercom.io/widget/<app id>: Intercom('boot' | 'update' | 'trackEvent')) with Segment's
// presets, behind our gate.
import destination from 'segment-destination:intercom'
import { presets, registerSegment } from '../lib/segment.js'

// The Messenger's API host per data-hosting region (apiServer).
const API_BASE = {
  US: 'https://api-iam.intercom.io',
  EU: 'https://api-iam.eu.intercom.io',
  AU: 'https://api-iam.au.intercom.io',
}

registerSegment('intercom', {
  name: 'Intercom',
  bundle: 'intercom',
  settings: (s) => ({
    appId: String(s.appId),
    apiBase: API_BASE[s.apiServer] || API_BASE.US,
    activator: '#IntercomDefaultWidget',
    richLinkProperties: [],
  }),
  subscriptions: () => presets(destination),
})
