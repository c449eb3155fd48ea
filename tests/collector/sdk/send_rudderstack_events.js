// Sends N events with @rudderstack/rudder-sdk-node (gzip, Basic auth, originalTimestamp without
// timestamp) and exits 0 once every event's callback reported delivery.
// usage: node send_rudderstack_events.js <dataPlaneUrl> <writeKey> <count>
const Analytics = require('@rudderstack/rudder-sdk-node')

const [dataPlaneUrl, writeKey, countText] = process.argv.slice(2)
const count = Number(countText)
const chunk = 100
const client = new Analytics(writeKey, { dataPlaneUrl, flushAt: chunk, flushInterval: 200, logLevel: 'error' })

function send(i) {
  const messageId = `rs-${i}`
  return new Promise((resolve, reject) => {
    const done = (err) => (err ? reject(err) : resolve())
    if (i % 2 === 0) {
      client.track({ anonymousId: `a${i % 30}`, event: 'Product Viewed', properties: { i }, messageId }, done)
    } else {
      client.identify({ userId: `u${i % 30}`, traits: { tier: 'gold' }, messageId }, done)
    }
  })
}

async function main() {
  // Chunk by chunk: the SDK re-measures its whole in-memory queue on every call, so a queue
  // of thousands of unsent events would make the client itself the bottleneck.
  for (let start = 0; start < count; start += chunk) {
    const delivered = []
    for (let i = start; i < Math.min(start + chunk, count); i++) delivered.push(send(i))
    client.flush()
    await Promise.all(delivered)
  }
  console.log(`sent ${count}`)
}

main().catch((err) => {
  console.error(`delivery failed: ${err && (err.message || err)}`)
  process.exit(1)
})
