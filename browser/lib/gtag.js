// gtag.js, shared by the Google tags (Ads conversions, Floodlight): one dataLayer, one loader.
import { loadScript } from '../runtime.js'

export function gtag() {
  window.dataLayer = window.dataLayer || []
  if (!window.gtag) {
    window.gtag = function () {
      window.dataLayer.push(arguments)
    }
    window.gtag('js', new Date())
  }
  return window.gtag
}

export function loadGtag(id) {
  gtag()('config', id)
  loadScript('https://www.googletagmanager.com/gtag/js?id=' + encodeURIComponent(id))
}
